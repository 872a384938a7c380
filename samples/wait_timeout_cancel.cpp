// 003 等待任务执行完成: asyncio.wait([A, B, C], timeout=3). A finishes at 2 s, C fails at 1 s, B
// (5 s) is still pending at the 3 s timeout; wait() cancels nothing, so main cancels B itself.
//
// Python's `done` and `pending` are sets, printed in whatever order the set iterates; the
// material's output shows C before A, which is completion order. spindle's wait() returns both
// in input order, so this program records the order the tasks finish in (a done callback per
// task) and prints `done` in that order, reproducing the material's lines exactly.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <spindle.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
std::string task(const std::string& name, spindle::Duration delay) {
  std::cout << "Task " << name << " started\n";
  spindle::sleep(delay);
  if (name == "C") throw std::runtime_error("Task " + name + " failed");
  std::cout << "Task " << name << " completed\n";
  return "Data fetched";
}
}  // namespace

SPINDLE_SAMPLE(wait_timeout_cancel, "003 等待任务执行完成: wait(timeout=3), then cancel pending") {
  using spindle::SpawnOptions;
  auto task1 = spindle::spawn(SpawnOptions{.name = "A"}, task, "A", 2s);  // finishes: its result
  auto task2 = spindle::spawn(SpawnOptions{.name = "B"}, task, "B", 5s);  // times out: cancelled
  auto task3 = spindle::spawn(SpawnOptions{.name = "C"}, task, "C", 1s);  // fails
  // Ids, not handles: a handle kept by a task's own callback would keep that task alive.
  auto finish_order = std::make_shared<std::vector<std::uint64_t>>();
  for (const auto& t : {task1, task2, task3}) {
    t.add_done_callback([finish_order](const auto& t) { finish_order->push_back(t.id()); });
  }

  // Wait for the three tasks with a 3 s timeout, so that B times out.
  auto [done, pending] =
      spindle::wait(std::vector{task1, task2, task3}, spindle::WaitOptions{.timeout = 3s});

  // The finished tasks, in the order they finished (see above); `done` holds the same tasks.
  for (std::uint64_t id : *finish_order) {
    const auto& t = *std::ranges::find(done, id, &spindle::TaskRef::id);
    std::string line;  // built first: result() throws for the failed task
    try {
      line = "Task " + t.name() + " done,result is " + t.result();
    } catch (const std::exception& e) {
      line = "Task " + t.name() + " raised an exception: " + e.what();
    }
    std::cout << line << '\n';
  }

  // The tasks still running
  for (const auto& t : pending) {
    std::cout << "Task " << t.name() << " is still pending\n";
    // Choose to cancel it
    t.cancel();
    std::cout << "Task " << t.name() << " has been cancelled\n";
  }
}
