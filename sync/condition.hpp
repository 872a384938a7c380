#pragma once
// asyncio.Condition over a spindle::Lock that the condition does not own (std::condition_variable
// style): fibers wait(lk) with the lock held; notify(n) / notify_all() wake the first n / every
// waiter in FIFO order, which then re-acquire the lock in turn. notify does not require the lock.
//
// Cancellation: wait() always returns or throws with the lock held again — a fiber cancelled while
// waiting re-acquires the lock (shielded) before CancelledError leaves wait().
#include <chrono>
#include <cstddef>
#include <mutex>

#include "scheduler/timeout.hpp"
#include "scheduler/wait_queue.hpp"
#include "sync/lock.hpp"

namespace spindle {

class Condition {
 public:
  Condition() = default;
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  // Releases lk's Lock, parks until notified, re-acquires it. A cancellation point. `lk` not
  // owning its lock → std::logic_error.
  void wait(std::unique_lock<Lock>& lk);
  template <class Pred>
  void wait(std::unique_lock<Lock>& lk, Pred pred) {
    while (!pred()) wait(lk);
  }
  // Waits until pred() holds or `d` has passed (a deadline on a cancel scope); returns pred().
  template <class Rep, class Period, class Pred>
  bool wait_for(std::unique_lock<Lock>& lk, std::chrono::duration<Rep, Period> d, Pred pred) {
    move_on_after(d, [&] { wait(lk, pred); });
    return pred();
  }

  // Wakes the first n waiters (fewer if fewer wait). Never parks.
  void notify(std::size_t n = 1);
  void notify_all() { waiters_.wake_all(); }
  std::size_t waiting() const { return waiters_.size(); }

 private:
  WaitQueue waiters_{"Condition"};
};

}  // namespace spindle
