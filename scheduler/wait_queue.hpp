#pragma once
// The one parking mechanism. A fiber waits by parking a Waiter (which lives on its own stack) in a
// WaitQueue, optionally with a deadline; it is woken exactly once, by wake(), by its deadline, or by
// cancellation. Every primitive in sync/ and io/ is built on this.
//
// Invariants: a Waiter is linked in at most one queue; a wake unlinks it first, so a later wake,
// deadline or cancellation finds it unlinked and does nothing (no stale or double wake-ups).
#include <cstddef>
#include <optional>

#include "scheduler/clock.hpp"
#include "scheduler/detail/timer_heap.hpp"

namespace spindle {

namespace detail {
class TaskBase;
}
class WaitQueue;

// closed: the primitive stopped serving its waiters (Queue::shutdown, Barrier::reset/abort).
enum class WakeReason : unsigned char { pending, notified, timed_out, cancelled, closed };

class Waiter {
 public:
  // `what` names the wait for diagnostics ("Lock.lock", "sleep"); it must outlive the wait.
  explicit Waiter(const char* what) noexcept;
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  WakeReason reason() const { return reason_; }
  bool linked() const { return queue_ != nullptr; }
  const WaitQueue* queue() const { return queue_; }  // the queue it is linked in, or nullptr
  const char* what() const { return what_; }
  detail::TaskBase* task() const { return task_; }

  // Hand-off slot: the waker may leave something here for the woken fiber (e.g. a queue item).
  void* slot = nullptr;
  // What cancellation does to this waiter while it is parked. Unset: unlink and wake it with
  // WakeReason::cancelled. I/O sets it to cancel its operation, whose completion then wakes it.
  void (*on_cancel)(Waiter&) = nullptr;

 private:
  friend class WaitQueue;
  friend WakeReason park(Waiter&, std::optional<TimePoint>);
  friend void wake(Waiter&, WakeReason);
  static void on_deadline(detail::TimerNode& t);

  detail::TaskBase* task_ = nullptr;
  WaitQueue* queue_ = nullptr;
  Waiter* prev_ = nullptr;
  Waiter* next_ = nullptr;
  const char* what_;
  WakeReason reason_ = WakeReason::pending;
  detail::TimerNode timer_;
};

// Parks the running fiber on `w` until it is woken or `deadline` passes. A cancellation point:
// throws CancelledError if the fiber's scope is cancelled before or while it waits. Returns the
// reason it was woken with (notified, closed) or timed_out. Link `w` into a queue (WaitQueue::push) before calling, or not at all.
WakeReason park(Waiter& w, std::optional<TimePoint> deadline = std::nullopt);
// Wakes a parked waiter (unlinking it); a no-op if it was already woken.
void wake(Waiter& w, WakeReason reason = WakeReason::notified);

// An intrusive FIFO of waiters. Does no allocation; not thread-safe (loop thread only).
// Destroying it while fibers are parked on it is fatal in every build: their Waiters would point
// into freed memory. It prints the owner (the primitive's type) and the parked fibers, then aborts.
class WaitQueue {
 public:
  // `owner` names the primitive this queue belongs to ("Queue", "Event"); it must outlive the queue.
  explicit WaitQueue(const char* owner = "WaitQueue") noexcept : owner_(owner) {}
  ~WaitQueue();
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  // push + park: the usual way to wait on this queue.
  WakeReason wait(Waiter& w, std::optional<TimePoint> deadline = std::nullopt);
  void push(Waiter& w) noexcept;
  void unlink(Waiter& w) noexcept;

  Waiter* front() const { return head_; }
  bool empty() const { return head_ == nullptr; }
  std::size_t size() const { return size_; }
  // Wakes the first waiter; false if there was none.
  bool wake_one(WakeReason reason = WakeReason::notified);
  std::size_t wake_all(WakeReason reason = WakeReason::notified);

  template <class F>
  void for_each(F&& f) const {
    for (Waiter* w = head_; w; w = w->next_) f(*w);
  }

 private:
  [[noreturn]] void destroyed_with_waiters() const noexcept;

  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  std::size_t size_ = 0;
  const char* owner_;
};

}  // namespace spindle
