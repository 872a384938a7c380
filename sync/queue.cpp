#include "sync/queue.hpp"

#include <string>

#include "scheduler/lowlevel.hpp"

namespace spindle::detail {

void QueueCore::checkpoint(const char* api) const {
  lowlevel::checkpoint_if_cancelled({name_, api});
}

void QueueCore::throw_shut_down(const char* api) const {
  throw QueueShutDown(std::string("spindle::") + name_ + "::" + api + ": the queue is shut down");
}

void QueueCore::throw_full() const {
  throw QueueFull(std::string("spindle::") + name_ + "::put_nowait: the queue is full (maxsize " +
                  std::to_string(maxsize_) + ")");
}

void QueueCore::throw_empty() const {
  throw QueueEmpty(std::string("spindle::") + name_ + "::get_nowait: the queue is empty");
}

WakeReason QueueCore::park_getter(Waiter& w) { return getters_.wait(w); }
WakeReason QueueCore::park_putter(Waiter& w) { return putters_.wait(w); }

void QueueCore::task_done() {
  if (unfinished_ == 0) {
    throw std::logic_error(std::string("spindle::") + name_ +
                           "::task_done: called more times than there were items (0 unfinished)");
  }
  if (--unfinished_ == 0) joiners_.wake_all();
}

void QueueCore::join() {
  checkpoint("join");
  if (unfinished_ == 0) return;
  Waiter w("Queue.join");
  joiners_.wait(w);
}

void QueueCore::shut_down_waiters() {
  getters_.wake_all(WakeReason::closed);  // they throw QueueShutDown
  putters_.wake_all(WakeReason::closed);  // their items are not inserted: they throw too
}

void QueueCore::items_dropped(std::size_t n) {
  unfinished_ = n > unfinished_ ? 0 : unfinished_ - n;
  if (unfinished_ == 0) joiners_.wake_all();
}

}  // namespace spindle::detail
