#pragma once
// Tasks: fibers with a result. spawn() is lazy (asyncio's create_task): the child is queued at the
// back of the ready queue and first runs when the spawner parks or yields.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "scheduler/detail/task_base.hpp"
#include "scheduler/errors.hpp"
#include "scheduler/spawn_site.hpp"

namespace spindle {

struct SpawnOptions {
  std::string name;            // default "Task-N"
  std::size_t stack_size = 0;  // bytes; 0 = the loop's default
  // Where spawn was called, for instruments (scheduler/instrument.hpp): this default is the place
  // that builds the options.
  SpawnSite site = SpawnSite::current();
};

namespace detail {
// Parks the running fiber until `t` is done (a cancellation point). Getting a task's result from
// inside that same task → std::logic_error.
void await_done(TaskBase& t, const char* api);
}  // namespace detail

// A type-erased, copyable handle to a task (asyncio's Task without the result type).
class TaskRef {
 public:
  TaskRef() = default;
  explicit TaskRef(detail::TaskBase* b) noexcept : base_(b) {
    if (base_) base_->add_ref();
  }
  TaskRef(const TaskRef& o) noexcept : TaskRef(o.base_) {}
  TaskRef(TaskRef&& o) noexcept : base_(std::exchange(o.base_, nullptr)) {}
  TaskRef& operator=(TaskRef o) noexcept {
    std::swap(base_, o.base_);
    return *this;
  }
  ~TaskRef() {
    if (base_) base_->release();
  }

  bool valid() const { return base_ != nullptr; }
  bool done() const { return base().done(); }
  // Ended by CancelledError (a cancel that the task never reached leaves it finished normally).
  bool cancelled() const { return base().cancelled; }
  // Requests cancellation of the task's root scope; false if it is already done.
  bool cancel(std::string message = {}) const;
  // Parks until the task is done; never throws the task's exception (the caller may be cancelled).
  void join() const;
  // The task's exception (a CancelledError if cancelled), nullptr if it succeeded. Not done →
  // InvalidStateError.
  std::exception_ptr exception() const;
  const std::string& name() const { return base().display_name(); }
  void set_name(std::string n) const { base().name = std::move(n); }
  std::uint64_t id() const { return base().id; }
  // `fn(task)` runs via call_soon once the task is done (at once if it already is).
  void add_done_callback(std::function<void(const TaskRef&)> fn) const;

  detail::TaskBase* get_base() const { return base_; }
  bool operator==(const TaskRef& o) const { return base_ == o.base_; }

 protected:
  detail::TaskBase& base() const;
  detail::TaskBase* base_ = nullptr;
};

template <class R>
class Task : public TaskRef {
 public:
  using value_type = R;
  Task() = default;
  explicit Task(detail::TaskResult<R>* b) noexcept : TaskRef(b) {}

  // Parks until done, then returns the value or rethrows the task's exception.
  R get() const {
    detail::await_done(base(), "Task::get");
    return take();
  }
  // Like get() but never parks: not done → InvalidStateError.
  R result() const {
    if (!done()) throw InvalidStateError("Task '" + name() + "': result() before it is done");
    return take();
  }
  void add_done_callback(std::function<void(const Task&)> fn) const {
    TaskRef::add_done_callback([fn = std::move(fn)](const TaskRef& t) {
      fn(Task(static_cast<detail::TaskResult<R>*>(t.get_base())));
    });
  }

 private:
  R take() const {
    auto& b = static_cast<detail::TaskResult<R>&>(base());
    if (std::exception_ptr e = b.mark_reported()) std::rethrow_exception(e);
    if constexpr (std::is_void_v<R>) {
      return;
    } else if constexpr (std::is_copy_constructible_v<R>) {
      return *b.value;
    } else {
      if (b.value_taken)
        throw InvalidStateError("Task '" + name() + "': its move-only result was already taken");
      b.value_taken = true;
      return std::move(*b.value);
    }
  }
};

namespace detail {
// Registers a freshly made task with the running loop and queues it. `parent_scope` ties it to a
// task group's scope (cancelled with it); nullptr makes a free-standing task.
void start_task(TaskBase& t, SpawnOptions&& opts, CancelScope* parent_scope = nullptr);

template <class F, class... Args>
using SpawnResult = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;

template <class F, class... Args>
Task<SpawnResult<F, Args...>> make_task(SpawnOptions&& opts, CancelScope* parent_scope, F&& f,
                                        Args&&... args) {
  using R = SpawnResult<F, Args...>;
  auto bound = [f = std::forward<F>(f), ... args = std::forward<Args>(args)]() mutable -> R {
    return std::invoke(std::move(f), std::move(args)...);
  };
  auto* t = new TaskImpl<R, decltype(bound)>(std::move(bound));
  Task<R> handle(t);
  t->release();  // the handle holds it; start_task adds the fiber's own reference
  start_task(*t, std::move(opts), parent_scope);
  return handle;
}
}  // namespace detail

template <class F, class... Args>
auto spawn(SpawnOptions opts, F&& f, Args&&... args) {
  return detail::make_task(std::move(opts), nullptr, std::forward<F>(f),
                           std::forward<Args>(args)...);
}

// spawn(f) records its caller as the spawn site (a default argument). C++ has no room for one
// after arguments: spawn(f, args...) has no site (an empty SpawnSite) unless given
// SpawnOptions.
template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, SpawnOptions>>>
auto spawn(F&& f, SpawnSite site = SpawnSite::current()) {
  return spawn(SpawnOptions{.name = {}, .site = site}, std::forward<F>(f));
}

template <class F, class Arg, class... Args,
          class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, SpawnOptions>>>
auto spawn(F&& f, Arg&& arg, Args&&... args) {
  return spawn(SpawnOptions{.name = {}, .site = {}}, std::forward<F>(f), std::forward<Arg>(arg),
               std::forward<Args>(args)...);
}

// The running task; outside a fiber → std::logic_error.
TaskRef current_task();

}  // namespace spindle
