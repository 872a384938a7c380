#include "sync/queue.hpp"

#include <string>

#include "scheduler/cancel_scope.hpp"
#include "scheduler/detail/running.hpp"
#include "scheduler/detail/task_base.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/sleep.hpp"

namespace spindle::detail {

namespace {
// Out of line and cold, so the checkpoint's fast path needs no stack frame.
[[noreturn, gnu::noinline, gnu::cold]] void throw_not_in_fiber(const char* queue, const char* api) {
  running_task((std::string(queue) + "::" + api).c_str());  // throws the usual logic_error
  __builtin_unreachable();
}
}  // namespace

void QueueCore::checkpoint(const char* api) const {
  Loop* l = t_running_loop;
  TaskBase* self = l ? l->current() : nullptr;
  if (!self) [[unlikely]] throw_not_in_fiber(name_, api);
  if (const CancelScope* s = CancelScope::cancelled_from(self->scope)) [[unlikely]] {
    throw_cancelled(s);
  }
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

void QueueCore::park_getter(Waiter& w) { getters_.wait(w); }
void QueueCore::park_putter(Waiter& w) { putters_.wait(w); }

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
  getters_.wake_all();  // their optional stays empty: they throw QueueShutDown
  while (Waiter* p = putters_.front()) {
    p->slot = nullptr;  // not inserted: they throw QueueShutDown
    wake(*p);
  }
}

void QueueCore::items_dropped(std::size_t n) {
  unfinished_ = n > unfinished_ ? 0 : unfinished_ - n;
  if (unfinished_ == 0) joiners_.wake_all();
}

}  // namespace spindle::detail
