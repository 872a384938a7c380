// 003 多协程并发执行: asyncio.gather(fetch_data(1), fetch_data(2), fetch_data(3)), each sleeping a
// random 1-10 s. The three "wait sec" lines come at once; the results come back in argument order
// after the longest sleep, whatever order the sleeps end in.
//
// Random numbers: std::mt19937 seeded with --seed (default 0), and randint(1, 10) computed as
// 1 + g() % 10 rather than with std::uniform_int_distribution, whose algorithm differs between
// standard libraries: one seed prints the same everywhere. The draws happen in call order (fiber 1
// draws first), so the numbers follow from the seed alone.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <spindle.hpp>
#include <string>
#include <vector>

#include "common/registry.hpp"

namespace {
std::string fetch_data(std::mt19937& random, int name) {  // the argument tells the tasks apart
  const int sec = 1 + static_cast<int>(random() % 10);    // random.randint(1, 10)
  std::cout << name << " wait sec " << sec << '\n';
  spindle::sleep(std::chrono::seconds(sec));
  return "fetched " + std::to_string(name);
}
}  // namespace

SPINDLE_SAMPLE(gather_random,
               "003 多协程并发执行: gather of three random sleeps, results in order") {
  std::mt19937 random(static_cast<std::mt19937::result_type>(options.seed));
  auto [r1, r2, r3] =
      spindle::gather([&] { return fetch_data(random, 1); }, [&] { return fetch_data(random, 2); },
                      [&] { return fetch_data(random, 3); });
  std::cout << "['" << r1 << "', '" << r2 << "', '" << r3 << "']\n";
}
