#pragma once
// The shared state behind Task<R> handles, and the fiber the task runs on (a task IS its fiber's
// control block: one allocation per spawn, the stack comes from the pool).
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "fibers/default_name.hpp"
#include "fibers/fiber.hpp"
#include "scheduler/cancel_scope.hpp"
#include "scheduler/detail/ready_queue.hpp"
#include "scheduler/detail/task_allocator.hpp"
#include "scheduler/sleep.hpp"
#include "scheduler/wait_queue.hpp"

namespace spindle {
class Loop;
class TaskRef;
template <class R>
class Task;
struct SpawnOptions;
}

namespace spindle::detail {

class TaskBase;

// A synchronous completion hook for combinators (gather, wait, task_group): on_done runs on the
// finishing task's fiber, right as it completes. Intrusive; unlinks itself when destroyed.
class DoneObserver {
 public:
  DoneObserver() = default;
  DoneObserver(const DoneObserver&) = delete;
  DoneObserver& operator=(const DoneObserver&) = delete;
  virtual ~DoneObserver() { unlink(); }
  void observe(TaskBase& t);
  void unlink() noexcept;
  virtual void on_done(TaskBase& t) = 0;

 private:
  friend class TaskBase;
  TaskBase* task_ = nullptr;
  DoneObserver* prev_ = nullptr;
  DoneObserver* next_ = nullptr;
};

class TaskBase : public Runnable, public fibers::Fiber {
 public:
  enum class State : unsigned char { pending, running, done };

  TaskBase() : Runnable(Kind::fiber) {}
  virtual ~TaskBase();
  static void* operator new(std::size_t size) { return allocate_task(size); }
  static void operator delete(void* p, std::size_t size) noexcept { free_task(p, size); }

  void add_ref() noexcept { ++refs_; }
  void release() noexcept {
    if (--refs_ == 0) destroy();
  }

  bool done() const { return state == State::done; }
  // Ended by an exception other than CancelledError.
  bool failed() const { return error && !cancelled; }
  // Marks the outcome as looked at (a failure is then not logged as "never retrieved") and
  // returns the task's exception (nullptr if it succeeded).
  std::exception_ptr mark_reported() noexcept {
    retrieved = true;
    return error;
  }
  // The task's exception without marking it looked at (nullptr if none), for instruments.
  const std::exception_ptr& peek_exception() const noexcept { return error; }
  // Cancels the task's root scope; false (and nothing happens) if it is already done.
  bool cancel(std::string why) {
    if (done()) return false;
    root_scope.cancel(std::move(why));
    return true;
  }
  // Parks the running fiber (on a wait named `what`) until this task is done or `deadline`
  // passes; false on timeout. A cancellation point.
  bool wait_done(const char* what, std::optional<TimePoint> deadline = std::nullopt) {
    while (!done()) {
      Waiter w(what);
      if (joiners.wait(w, deadline) == WakeReason::timed_out) return false;
    }
    return true;
  }
  // The scope whose cancellation reaches the task's innermost scope now, or nullptr.
  const CancelScope* cancelled_from() const { return CancelScope::cancelled_from(scope); }
  // "'name' (id N)", for messages.
  std::string label() { return "'" + display_name() + "' (id " + std::to_string(id) + ")"; }
  // The task's name; the default (fibers/default_name.hpp) is only built when first asked for
  // (spawn stays cheap).
  const std::string& display_name() {
    if (name.empty()) name = fibers::default_name(id).view();
    return name;
  }
  // Runs on the task's own fiber: the body, then completion (wakes joiners, schedules callbacks).
  void run_on_fiber();

 protected:
  virtual void invoke() = 0;  // calls the function and stores its value

 private:
  // The scheduler's own parts; everything above it goes through the operations above
  // (scheduler/lowlevel.hpp).
  friend class spindle::Loop;
  friend class spindle::CancelScope;
  friend class spindle::Waiter;
  friend class spindle::WaitQueue;
  friend class spindle::TaskRef;
  template <class R>
  friend class spindle::Task;
  friend class DoneObserver;
  friend struct TaskDiagnostics;  // scheduler/diagnostics.cpp
  friend WakeReason spindle::park(Waiter&, std::optional<TimePoint>);
  friend void spindle::wake(Waiter&, WakeReason);
  friend void spindle::yield_now();
  friend void start_task(TaskBase& t, SpawnOptions&& opts, CancelScope* parent_scope);
  friend void await_done(TaskBase& t, const char* api);

  void destroy() noexcept;
  void end_body() noexcept;  // leaves the root scope, becomes done, tells the instrument
  // Out of line and cold: destroy() stays small on the path every task takes.
  [[gnu::cold, gnu::noinline]] void report_never_retrieved() noexcept;

  Loop* loop = nullptr;
  State state = State::pending;
  bool cancelled = false;  // ended by CancelledError
  bool retrieved = false;  // its outcome was looked at (so a failure is not "never retrieved")
  bool value_taken = false;
  std::exception_ptr error;
  CancelScope root_scope;
  CancelScope* parent_scope = nullptr;  // set for task_group children: the group's scope
  CancelScope* scope = nullptr;         // innermost scope the fiber is in
  Waiter* waiter = nullptr;             // set while parked
  bool lazy_deadlines = false;          // some scope's deadline waits for the next park
  WaitQueue joiners{"Task"};
  std::unique_ptr<std::vector<std::function<void()>>> done_callbacks;  // rarely used
  DoneObserver* observers = nullptr;
  TaskBase* live_prev = nullptr;  // the loop's list of unfinished tasks
  TaskBase* live_next = nullptr;
  std::uint64_t parent_id = 0;
  TimePoint parked_since{};
  unsigned refs_ = 1;
};

template <class R>
using Stored = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

template <class R>
class TaskResult : public TaskBase {
 public:
  std::optional<Stored<R>> value;
};

template <class R, class Fn>
class TaskImpl final : public TaskResult<R> {
 public:
  explicit TaskImpl(Fn&& f) : fn_(std::move(f)) {}

 private:
  void invoke() override {
    struct Drop {  // the function (and what it captured) goes as soon as it returns
      std::optional<Fn>& f;
      ~Drop() { f.reset(); }
    } drop{fn_};
    if constexpr (std::is_void_v<R>) {
      (*fn_)();
      this->value.emplace();
    } else {
      this->value.emplace((*fn_)());
    }
  }
  std::optional<Fn> fn_;
};

}  // namespace spindle::detail
