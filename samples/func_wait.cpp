// 002 基于协程的异步模块: func1 and func2 as two tasks, waited for together. func1 prints 1 and
// sleeps, the loop switches to func2 which prints 3 and sleeps; after 2 s func1 prints 2 and then
// func2 prints 4 (their timers fire in arming order). asyncio.wait(tasks) waits for all of them
// without raising their exceptions: that is Task::join() on each.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <vector>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
void func1() {
  std::cout << "1\n";
  spindle::sleep(2s);
  std::cout << "2\n";
}

void func2() {
  std::cout << "3\n";
  spindle::sleep(2s);
  std::cout << "4\n";
}
}  // namespace

SPINDLE_SAMPLE(func_wait, "002 基于协程的异步模块: func1/func2 → 1 3 2 4") {
  std::vector<spindle::Task<void>> tasks{spindle::spawn(func1), spindle::spawn(func2)};
  for (const auto& task : tasks) task.join();  // loop.run_until_complete(asyncio.wait(tasks))
}
