#pragma once
// The seam (Trio's trio.lowlevel): the one header that sync/ and io/ are written against. It gives
// the running task, the cancellation checkpoint, park/wake, a token for outstanding work and the
// operations on a task. Nothing above the scheduler touches a task's fields or the loop's
// internals.
//
// Checkpoints (STYLE.md take 5), decided here once: every blocking call is a cancellation point,
// also on its fast path (checkpoint_if_cancelled, before it tries). The fast path is not a schedule
// point: a call that does not park does not yield either (asyncio's order, which spindle keeps);
// only I/O yields, every few calls in a row that completed at once (detail::io_checkpoint).
#include <cstddef>
#include <utility>

#include "scheduler/cancel_scope.hpp"
#include "scheduler/detail/running.hpp"
#include "scheduler/detail/task_base.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/wait_queue.hpp"

namespace spindle::lowlevel {

// A task as primitives see it: done(), failed(), cancel(why), wait_done(...), mark_reported(),
// label(); and the intrusive hook that runs as a task completes.
using Task = detail::TaskBase;
using DoneObserver = detail::DoneObserver;

// The one park and the one wake (scheduler/wait_queue.hpp).
using spindle::park;
using spindle::Waiter;
using spindle::WaitQueue;
using spindle::wake;
using spindle::WakeReason;

// The API a call was made through, for the "not in a fiber" error: "Lock::lock", or an owner and
// an operation ("LifoQueue", "get") joined only when the error is thrown.
struct Api {
  Api(const char* name) noexcept : owner(name) {}  // NOLINT: a name reads as an Api
  Api(const char* owner_name, const char* op_name) noexcept : owner(owner_name), op(op_name) {}
  const char* owner;
  const char* op = nullptr;
};

namespace detail {
// Throws the std::logic_error for a blocking call outside a fiber ("spindle::<api> called from a
// loop callback: only fibers can park"; outside a running loop, this_loop()'s error).
[[noreturn, gnu::noinline, gnu::cold]] void throw_not_in_fiber(Api api);
}  // namespace detail

// The running task, or nullptr in a loop callback or outside a loop.
inline Task* current_task_or_null() noexcept {
  Loop* running = spindle::detail::t_running_loop;
  return running ? running->current() : nullptr;
}

// The running task; a loop callback or no running loop → std::logic_error naming `api`.
inline Task& current_task(Api api) {
  Task* t = current_task_or_null();
  if (!t) [[unlikely]] detail::throw_not_in_fiber(api);
  return *t;
}

// The running loop; only valid once current_task() has succeeded.
inline Loop& running_loop() noexcept { return *spindle::detail::t_running_loop; }

// Throws CancelledError if `t`'s innermost scope is cancelled (and not shielded from it).
inline void checkpoint_if_cancelled(const Task& t) {
  if (const CancelScope* s = t.cancelled_from()) [[unlikely]] spindle::detail::throw_cancelled(s);
}

// The prologue of every blocking call: the running task (or the logic_error naming `api`), after
// the cancellation check. Returns the task, for calls that need it.
inline Task& checkpoint_if_cancelled(Api api) {
  Task& self = current_task(api);
  checkpoint_if_cancelled(self);
  return self;
}

// For a call that reports cancellation as an error code instead of throwing (the hooks'
// ECANCELED): records it on the cancelling scope, so that a timeout() around still throws
// TimeoutError when its body returns.
inline void note_cancellation_reported(const Task& t) noexcept {
  if (const CancelScope* s = t.cancelled_from()) s->note_cancellation_reported();
}

// Outstanding work the loop cannot see in its queues (an I/O operation, a job on a thread): while
// a token is held, an idle loop blocks in the reactor instead of reporting a deadlock. Movable;
// released by release() or on destruction.
class Outstanding {
 public:
  Outstanding() = default;
  explicit Outstanding(Loop& loop) noexcept : loop_(&loop) { loop.add_external(); }
  Outstanding(Outstanding&& o) noexcept : loop_(std::exchange(o.loop_, nullptr)) {}
  Outstanding& operator=(Outstanding&& o) noexcept {
    if (this != &o) {
      release();
      loop_ = std::exchange(o.loop_, nullptr);
    }
    return *this;
  }
  ~Outstanding() { release(); }

  bool held() const noexcept { return loop_ != nullptr; }
  void release() noexcept {
    if (loop_) std::exchange(loop_, nullptr)->remove_external();
  }

 private:
  Loop* loop_ = nullptr;
};

// A timer on the loop's own heap (no allocation): `on_due(node)` runs on the loop when the armed
// deadline passes; it must only make things ready, never block. Disarmed on destruction.
class LoopTimer {
 public:
  LoopTimer(Loop& loop, spindle::detail::TimerNode::FireFn on_due, void* context) noexcept
      : loop_(loop), node_(on_due, context) {}
  ~LoopTimer() { disarm(); }
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  void arm(TimePoint deadline) { loop_.arm(node_, deadline); }
  void disarm() noexcept {
    if (node_.armed()) loop_.disarm(node_);
  }

 private:
  Loop& loop_;
  spindle::detail::TimerNode node_;
};

}  // namespace spindle::lowlevel
