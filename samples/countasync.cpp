// 001 协程与协程函数: countasync.py (also 004 4)-E1). gather() runs three count() calls as
// concurrent fibers: all three print "One", sleep together, print "Two", sleep together — 2 s in
// all instead of synchronous.py's 6 s.
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

void main_() { spindle::gather(count, count, count); }
}  // namespace

SPINDLE_SAMPLE(countasync, "001 协程与协程函数: countasync.py") {
  spindle::TimePoint start = spindle::now();
  main_();
  std::chrono::duration<double> elapsed = spindle::now() - start;
  std::cout << std::filesystem::path(__FILE__).filename().string() << " executed in " << std::fixed
            << std::setprecision(2) << elapsed.count() << " seconds.\n"
            << std::defaultfloat;
}
