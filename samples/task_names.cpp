// 003 协程任务(Task): create_task(task1(), name='1'), create_task(task2(), name='2'). Both tasks
// start as soon as main waits for the first ("Task 1 started", "Task 2 started" at once), both
// fetch for 2 s together, and both finish 2 s later.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
std::string fetch_data() {
  spindle::sleep(2s);
  return "Data fetched";
}

void task1() {
  std::cout << "Task 1 started\n";
  std::string res = fetch_data();
  std::cout << "Task 1 finished " << res << '\n';
}

void task2() {
  std::cout << "Task 2 started\n";
  std::string res = fetch_data();
  std::cout << "Task 2 finished " << res << '\n';
}
}  // namespace

SPINDLE_SAMPLE(task_names, "003 协程任务(Task): create_task(..., name='1'), two tasks in 2 s") {
  auto t1 = spindle::spawn(spindle::SpawnOptions{.name = "1"}, task1);
  auto t2 = spindle::spawn(spindle::SpawnOptions{.name = "2"}, task2);

  t1.get();
  t2.get();
}
