// 002 Task 对象: asyncio.ensure_future(func()) twice. spawn() only queues the tasks, so main
// prints "main start" and "main end" before either runs; they start when main parks in
// task1.get(), both print 1, both sleep 2 s together, both print 2.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
std::string func() {
  std::cout << 1 << '\n';
  spindle::sleep(2s);
  std::cout << 2 << '\n';
  return "success";
}
}  // namespace

SPINDLE_SAMPLE(ensure_future, "002 Task 对象: ensure_future → main start, main end, 1, 1, 2, 2") {
  std::cout << "main start\n";
  // Each spawn adds a task running func() to the loop (asyncio.ensure_future / create_task).
  auto task1 = spindle::spawn(func);
  auto task2 = spindle::spawn(func);
  std::cout << "main end\n";
  // While one task sleeps, the loop runs the other.
  std::string res1 = task1.get();
  std::string res2 = task2.get();
  std::cout << res1 << ' ' << res2 << '\n';
}
