// 003 信号量: five workers share a Semaphore(2), so at most two are between "started" and
// "finished" at any time; std::lock_guard on the semaphore is `async with semaphore`. 3 s in all.
#include <chrono>
#include <iostream>
#include <mutex>
#include <spindle.hpp>
#include <vector>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
void worker(spindle::Semaphore& semaphore, int id) {
  std::lock_guard guard(semaphore);
  std::cout << "Worker " << id << " started\n";
  spindle::sleep(1s);
  std::cout << "Worker " << id << " finished\n";
}
}  // namespace

SPINDLE_SAMPLE(semaphore_workers, "003 信号量: at most 2 of 5 workers at once") {
  spindle::Semaphore semaphore(2);  // at most two at a time
  std::vector<spindle::Task<void>> tasks;
  for (int i = 0; i < 5; ++i) tasks.push_back(spindle::spawn(worker, std::ref(semaphore), i));
  spindle::gather(tasks);
}
