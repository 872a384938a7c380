// 000 并发运行协程: asyncio.gather(). Three factorial() calls run as concurrent fibers; each
// prints a line, then sleeps 1 s, so the lines interleave by round: A, B, C, then A finishes,
// B and C go on. gather() returns the results in argument order: [2, 6, 24], after 3 s.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
long factorial(const std::string& name, int number) {
  long f = 1;
  for (int i = 2; i <= number; ++i) {
    std::cout << "Task " << name << ": Compute factorial(" << number << "), currently i=" << i
              << "...\n";
    spindle::sleep(1s);
    f *= i;
  }
  std::cout << "Task " << name << ": factorial(" << number << ") = " << f << '\n';
  return f;
}
}  // namespace

SPINDLE_SAMPLE(factorial, "000 并发运行协程: asyncio.gather(factorial A, B, C)") {
  // Schedule three calls *concurrently*:
  auto [a, b, c] =
      spindle::gather([] { return factorial("A", 2); }, [] { return factorial("B", 3); },
                      [] { return factorial("C", 4); });
  std::cout << '[' << a << ", " << b << ", " << c << "]\n";
}
