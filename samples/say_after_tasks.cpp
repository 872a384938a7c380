// 000 协程与任务 / 并发地运行需要使用任务来完成 (and 004 Quick start 2: "使用 task 才能并行"):
// spawn() makes each call a task of its own; both sleep at the same time, so the whole takes
// max(1 s, 2 s) = 2 s. spawn is lazy (asyncio's create_task): the tasks start when main parks in
// the first get(), after "started at" is printed.
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

SPINDLE_SAMPLE(say_after_tasks,
               "000 协程与任务 / 并发地运行需要使用任务来完成: say_after with tasks") {
  auto task1 = spindle::spawn(say_after, 1s, "hello");
  auto task2 = spindle::spawn(say_after, 2s, "world");

  std::cout << "started at " << clock_string() << '\n';

  // Wait until both tasks are done (about 2 seconds).
  task1.get();
  task2.get();

  std::cout << "finished at " << clock_string() << '\n';
}
