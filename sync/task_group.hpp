#pragma once
// Structured concurrency (asyncio.TaskGroup / Trio nursery). task_group(body) runs body(tg) inline;
// children spawned with tg.spawn() live in the group's cancel scope. When a child fails, the body
// and every sibling are cancelled. task_group returns only when every child is done, then throws
// an ExceptionGroup of all failures (child or body; not the cancellations the group caused).
#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "scheduler/cancel_scope.hpp"
#include "scheduler/lowlevel.hpp"
#include "scheduler/task.hpp"
#include "sync/exception_group.hpp"

namespace spindle {

class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  template <class F, class... Args>
  auto spawn(SpawnOptions opts, F&& f, Args&&... args) {
    check_open();
    using R = detail::SpawnResult<F, Args...>;
    auto call = [f = std::forward<F>(f), ... args = std::forward<Args>(args)]() mutable -> R {
      return std::invoke(std::move(f), std::move(args)...);
    };
    auto task = detail::make_task(std::move(opts), &scope_, std::move(call));
    adopt(*task.get_base());
    return task;
  }
  template <class F, class... Args,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, SpawnOptions>>>
  auto spawn(F&& f, Args&&... args) {
    return spawn(SpawnOptions{}, std::forward<F>(f), std::forward<Args>(args)...);
  }

  // Cancels the body and every child (the group then ends without error).
  void cancel() { scope_.cancel("task group cancelled"); }
  std::size_t size() const { return live_; }

  // --- for task_group() ---
  template <class F>
  auto run(F&& body);

 private:
  struct Child final : lowlevel::DoneObserver {
    TaskGroup* group;
    Child* prev = nullptr;  // the group's list of children still running
    Child* next = nullptr;
    explicit Child(TaskGroup* g) : group(g) {}
    void on_done(lowlevel::Task& t) override { group->child_done(t, this); }  // deletes this
  };
  void check_open() const;
  void adopt(lowlevel::Task& t);
  void child_done(lowlevel::Task& t, Child* c);
  void enter();
  void record_body_failure(std::exception_ptr e);
  // Waits (shielded) for every child, leaves the scope, then throws what the group must throw.
  void finish(bool body_cancelled_from_outside);
  // The loop is force-unwinding this fiber: stop watching the children and leave the scope.
  void abandon() noexcept;

  CancelScope scope_;
  WaitQueue idle_{"TaskGroup"};
  std::vector<std::exception_ptr> errors_;
  Child* children_ = nullptr;
  std::size_t live_ = 0;
  bool failing_ = false;
  bool closed_ = false;
};

template <class F>
auto TaskGroup::run(F&& body) {
  using R = std::invoke_result_t<F, TaskGroup&>;
  using Value = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
  enter();
  std::optional<Value> result;
  bool cancelled_from_outside = false;
  try {
    if constexpr (std::is_void_v<R>) {
      std::forward<F>(body)(*this);
      result.emplace();
    } else {
      result.emplace(std::forward<F>(body)(*this));
    }
  } catch (const CancelledError&) {
    cancelled_from_outside = !scope_.owns_cancellation();
  } catch (const fibers::ForcedUnwind&) {
    abandon();
    throw;
  } catch (...) {  // the body's own failure joins the group's (ForcedUnwind rethrown above)
    record_body_failure(std::current_exception());
  }
  try {
    finish(cancelled_from_outside);
  } catch (const fibers::ForcedUnwind&) {
    abandon();
    throw;
  }
  if constexpr (!std::is_void_v<R>) return std::move(*result);
}

template <class F>
auto task_group(F&& body) {
  TaskGroup g;
  return g.run(std::forward<F>(body));
}

}  // namespace spindle
