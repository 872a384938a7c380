#pragma once
// asyncio.Event: a flag fibers can wait for. set() wakes every waiter (each returns even if the
// flag is cleared again before it runs); wait() on a set event returns at once.
#include <cstddef>

#include "scheduler/wait_queue.hpp"

namespace spindle {

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Sets the flag and wakes every waiter. Never parks; may be called from a loop callback.
  void set();
  void clear() { set_ = false; }
  bool is_set() const { return set_; }
  // Returns once the flag is set. A cancellation point, also when it is already set.
  void wait();
  std::size_t waiting() const { return waiters_.size(); }

 private:
  WaitQueue waiters_{"Event"};
  bool set_ = false;
};

}  // namespace spindle
