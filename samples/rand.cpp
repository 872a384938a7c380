// 001 Async I/O 示例: rand.py. Three concurrent makerandom() calls each draw integers in [0, 10]
// until one beats their threshold, sleeping `delay` seconds between draws; each prints in its own
// ANSI colour (cyan, red, magenta). The PRNG is std::mt19937 seeded with --seed (default: the
// material's 444), see common/py_random.hpp, so a seed always gives the same lines.
#include <array>
#include <chrono>
#include <cstdio>
#include <spindle.hpp>

#include "common/py_random.hpp"
#include "common/registry.hpp"

namespace {

constexpr std::array<const char*, 4> kColors{
    "\033[0m",   // End of color
    "\033[36m",  // Cyan
    "\033[91m",  // Red
    "\033[35m",  // Magenta
};

int makerandom(samples::PyRandom& random, int delay, int threshold = 6) {
  const char* color = kColors[static_cast<std::size_t>(delay)];
  std::printf("%sInitiated makerandom(%d).\n", color, delay);
  int number;
  while ((number = random.randint(0, 10)) <= threshold) {
    std::printf("%smakerandom(%d) == %d too low; retrying.\n", color, delay, number);
    spindle::sleep(std::chrono::seconds(delay));
  }
  std::printf("%s---> Finished: makerandom(%d) == %d%s\n", color, delay, number, kColors[0]);
  return number;
}

}  // namespace

SPINDLE_SAMPLE(rand, "001 Async I/O 示例: rand.py (--seed N)") {
  samples::PyRandom random(options.seed);
  // Spawned one by one so they start in this order (asyncio.gather wraps its arguments in tasks
  // left to right), then gathered.
  auto t1 = spindle::spawn([&] { return makerandom(random, 1, 9); });
  auto t2 = spindle::spawn([&] { return makerandom(random, 2, 8); });
  auto t3 = spindle::spawn([&] { return makerandom(random, 3, 8); });
  auto [r1, r2, r3] = spindle::gather(t1, t2, t3);
  std::printf("\nr1: %d, r2: %d, r3: %d\n", r1, r2, r3);
  std::fflush(stdout);
}
