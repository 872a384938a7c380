// 001 协程与协程函数: synchronous.py. Three calls of count() one after the other, each sleeping
// twice for 1 s: 6 s in all. In spindle the synchronous program and the concurrent one
// (countasync.cpp) call the same sleep(); the difference is only whether the calls run one after
// the other or as concurrent fibers.
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <spindle.hpp>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
void count() {
  std::cout << "One\n";
  spindle::sleep(1s);
  std::cout << "Two\n";
  spindle::sleep(1s);
}

void main_() {
  for (int i = 0; i < 3; ++i) count();
}
}  // namespace

SPINDLE_SAMPLE(synchronous, "001 协程与协程函数: synchronous.py") {
  spindle::TimePoint start = spindle::now();
  main_();
  std::chrono::duration<double> elapsed = spindle::now() - start;
  std::cout << std::filesystem::path(__FILE__).filename().string() << " executed in " << std::fixed
            << std::setprecision(2) << elapsed.count() << " seconds.\n"
            << std::defaultfloat;
}
