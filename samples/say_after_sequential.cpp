// 000 协程与任务 / 协程 (and 004 Quick start 1: "await 会阻塞直到成功"): two calls one after the
// other. A fiber function is an ordinary function: calling it runs it to the end, parking on the
// way, so the second call starts when the first has returned — 1 s + 2 s = 3 s.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>

#include "common/clock_string.hpp"
#include "common/registry.hpp"

using namespace std::chrono_literals;
using samples::clock_string;

namespace {
void say_after(std::chrono::seconds delay, const std::string& what) {
  spindle::sleep(delay);
  std::cout << what << '\n';
}
}  // namespace

SPINDLE_SAMPLE(say_after_sequential, "000 协程与任务 / 协程: say_after, one call after the other") {
  std::cout << "started at " << clock_string() << '\n';

  say_after(1s, "hello");
  say_after(2s, "world");

  std::cout << "finished at " << clock_string() << '\n';
}
