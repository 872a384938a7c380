// 000 协程与任务 / "更现代的写法": asyncio.TaskGroup. task_group() returns only when every child
// it spawned is done, so leaving it is the implicit await; 2 s in all, as with plain tasks.
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

SPINDLE_SAMPLE(say_after_task_group, "000 协程与任务 / 更现代的写法: say_after in a TaskGroup") {
  spindle::task_group([](spindle::TaskGroup& tg) {
    auto task1 = tg.spawn(say_after, 1s, "hello");
    auto task2 = tg.spawn(say_after, 2s, "world");

    std::cout << "started at " << clock_string() << '\n';
  });
  // Leaving task_group waited for both tasks, as leaving `async with` does.
  std::cout << "finished at " << clock_string() << '\n';
}
