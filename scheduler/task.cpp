#include "scheduler/task.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "scheduler/detail/logger.hpp"
#include "scheduler/instrument.hpp"
#include "scheduler/lowlevel.hpp"
#include "scheduler/sleep.hpp"

namespace spindle {
namespace detail {

TaskBase::~TaskBase() = default;

void TaskBase::report_never_retrieved() noexcept {
  logger().error("Task exception was never retrieved: task '{}' (id {}): {}", display_name(), id,
                 describe(error));
}

void TaskBase::destroy() noexcept {
  if (error && !retrieved && !cancelled) [[unlikely]] report_never_retrieved();
  delete this;
}

void TaskBase::end_body() noexcept {
  root_scope.exit();
  state = State::done;
  if (Instrument* in = loop->instrument()) [[unlikely]] note_exit(*in, *this);
}

void TaskBase::run_on_fiber() {
  state = State::running;
  root_scope.enter(this, parent_scope);
  try {
    invoke();
  } catch (const CancelledError&) {
    cancelled = true;
    error = std::current_exception();
  } catch (const fibers::ForcedUnwind&) {
    // The loop is unwinding this stuck fiber (fibers::unwind): let it reach its end. Whoever
    // waits for or watches it is being unwound too: detach them, wake nobody.
    while (Waiter* w = joiners.front()) joiners.unlink(*w);
    while (DoneObserver* o = observers) o->unlink();
    end_body();
    loop->remove_live(*this);
    throw;
  } catch (...) {  // the task's outcome (ForcedUnwind and CancelledError are handled above)
    error = std::current_exception();
  }
  end_body();
  joiners.wake_all();
  while (DoneObserver* o = observers) {
    o->unlink();
    o->on_done(*this);
  }
  if (done_callbacks) {
    for (auto& cb : *done_callbacks) loop->call_soon(std::move(cb));
    done_callbacks.reset();
  }
  loop->remove_live(*this);
}

void DoneObserver::observe(TaskBase& t) {
  unlink();
  task_ = &t;
  next_ = t.observers;
  if (next_) next_->prev_ = this;
  t.observers = this;
}

void DoneObserver::unlink() noexcept {
  if (!task_) return;
  if (prev_) prev_->next_ = next_; else task_->observers = next_;
  if (next_) next_->prev_ = prev_;
  task_ = nullptr;
  prev_ = next_ = nullptr;
}

void start_task(TaskBase& t, SpawnOptions&& opts, CancelScope* parent_scope) {
  Loop& loop = this_loop();
  t.loop = &loop;
  t.id = loop.next_task_id();
  t.name = std::move(opts.name);
  t.parent_scope = parent_scope;
  if (TaskBase* parent = loop.current()) t.parent_id = parent->id;
  fibers::StackPool& pool =
      opts.stack_size ? fibers::StackPool::for_size(opts.stack_size) : loop.default_pool();
  t.start(pool, [&t](fibers::Fiber* dead) -> fibers::Fiber* {
    t.loop->after_switch(dead);
    t.run_on_fiber();
    return t.loop->next_after_exit();
  });
  t.add_ref();  // the fiber's own reference, dropped by whoever runs after it finishes
  loop.add_live(t);
  loop.make_ready(t);
  if (Instrument* in = loop.instrument()) [[unlikely]] note_spawn(*in, t, opts.site);
}

void await_done(TaskBase& t, const char* api) {
  TaskBase& self = lowlevel::current_task(api);
  if (&self == &t) {
    throw std::logic_error(std::string("spindle::") + api + ": task '" + t.display_name() +
                           "' waits for itself (deadlock)");
  }
  lowlevel::checkpoint_if_cancelled(self);  // also when t is already done
  t.wait_done("Task.join");
}

}  // namespace detail

detail::TaskBase& TaskRef::base() const {
  if (!base_) throw InvalidStateError("spindle::Task: empty handle (default-constructed)");
  return *base_;
}

bool TaskRef::cancel(std::string message) const { return base().cancel(std::move(message)); }

void TaskRef::join() const { detail::await_done(base(), "Task::join"); }

std::exception_ptr TaskRef::exception() const {
  detail::TaskBase& b = base();
  if (!b.done()) throw InvalidStateError("Task '" + b.display_name() + "': exception() before it is done");
  return b.mark_reported();
}

void TaskRef::add_done_callback(std::function<void(const TaskRef&)> fn) const {
  detail::TaskBase& b = base();
  auto call = [fn = std::move(fn), self = *this] { fn(self); };
  if (b.done()) b.loop->call_soon(std::move(call));
  else {
    if (!b.done_callbacks) b.done_callbacks = std::make_unique<std::vector<std::function<void()>>>();
    b.done_callbacks->emplace_back(std::move(call));
  }
}

TaskRef current_task() { return TaskRef(&lowlevel::current_task("current_task")); }

}  // namespace spindle
