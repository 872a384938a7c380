// 002 Task 对象: asyncio.wait(task_list), then the same with timeout=1. Two func() tasks each
// print 1, sleep 2 s and print 2. wait() without a timeout returns both in `done`; with a 1 s
// timeout both are still sleeping, so both are in `pending` (the material's suggestion, which it
// describes but does not print).
//
// Python prints the sets' reprs; spindle's wait() returns vectors in input order, and this
// program prints them in that order as {<Task finished name=… result=…>, …} /
// {<Task pending name=…>, …} (a shortened Task repr: no coroutine or source location). Input
// order is also the order the tasks finished in here. The tasks are named as asyncio would name
// them (Task-2 … Task-5, main being Task-1): spindle's default "Task-<id>" would do the same in a
// lone run, but ids keep counting across the runs of the tour. The pending tasks are left running,
// as in the material: the end of the run cancels and reaps them, as asyncio.run does.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>
#include <vector>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
std::string func() {
  std::cout << 1 << '\n';
  spindle::sleep(2s);
  std::cout << 2 << '\n';
  return "success";
}

spindle::SpawnOptions named(const char* name) { return spindle::SpawnOptions{.name = name}; }

std::string task_repr(const spindle::Task<std::string>& t) {
  if (!t.done()) return "<Task pending name='" + t.name() + "'>";
  return "<Task finished name='" + t.name() + "' result='" + t.result() + "'>";
}

std::string set_repr(const std::vector<spindle::Task<std::string>>& tasks) {
  std::string s = "{";
  for (std::size_t i = 0; i < tasks.size(); ++i) s += (i ? ", " : "") + task_repr(tasks[i]);
  return s + "}";
}
}  // namespace

SPINDLE_SAMPLE(wait_done_pending, "002 Task 对象: wait(task_list) → done, pending; timeout=1") {
  std::cout << "main start\n";
  std::vector task_list{spindle::spawn(named("Task-2"), func),
                        spindle::spawn(named("Task-3"), func)};
  std::cout << "main end\n";
  // One wait() for the whole list: while one task sleeps, the loop runs the other.
  auto [done, pending] = spindle::wait(task_list);
  std::cout << set_repr(done) << '\n';
  std::cout << done.back().result() << '\n';  // done.pop().result()

  // The same with timeout=1: both tasks need 2 s, so after 1 s both are pending.
  std::vector more{spindle::spawn(named("Task-4"), func), spindle::spawn(named("Task-5"), func)};
  auto [done1, pending1] = spindle::wait(more, spindle::WaitOptions{.timeout = 1s});
  std::cout << "done: " << set_repr(done1) << '\n';
  std::cout << "pending: " << set_repr(pending1) << '\n';
}
