#include "sync/task_group.hpp"

#include "scheduler/lowlevel.hpp"

namespace spindle {

void TaskGroup::check_open() const {
  if (closed_) throw std::logic_error("spindle::TaskGroup::spawn: the group has finished");
  if (failing_) {
    throw std::logic_error("spindle::TaskGroup::spawn: the group is cancelling after a failure");
  }
}

void TaskGroup::enter() {
  scope_.enter_running("task_group");
}

void TaskGroup::adopt(lowlevel::Task& t) {
  auto* c = new Child(this);  // deleted by child_done (or abandon)
  c->next = children_;
  if (children_) children_->prev = c;
  children_ = c;
  c->observe(t);
  ++live_;
}

void TaskGroup::child_done(lowlevel::Task& t, Child* c) {
  if (c->prev) c->prev->next = c->next; else children_ = c->next;
  if (c->next) c->next->prev = c->prev;
  delete c;
  --live_;
  if (t.failed()) {
    errors_.push_back(t.mark_reported());  // the group reports it
    failing_ = true;
    scope_.cancel("task group: a child failed");
  }
  if (live_ == 0) idle_.wake_all();
}

void TaskGroup::record_body_failure(std::exception_ptr e) {
  errors_.push_back(std::move(e));
  failing_ = true;
  scope_.cancel("task group: the body failed");
}

void TaskGroup::finish(bool body_cancelled_from_outside) {
  {
    // Shielded: an outer cancellation still reaches the children through the scope tree, but
    // must not stop us waiting for them.
    CancelScope wait_scope;
    wait_scope.shield = true;
    wait_scope.run([&] {
      while (live_ > 0) {
        Waiter w("TaskGroup.wait");
        idle_.wait(w);
      }
    });
  }
  closed_ = true;
  const CancelScope* outer = CancelScope::cancelled_from(scope_.parent());
  scope_.exit();
  if (!errors_.empty()) throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors_));
  if (body_cancelled_from_outside || outer) {
    throw CancelledError(outer ? outer->message() : std::string());
  }
}

void TaskGroup::abandon() noexcept {
  while (Child* c = children_) {
    children_ = c->next;
    delete c;  // ~DoneObserver unlinks it from its task
  }
  live_ = 0;
  scope_.exit();
}

}  // namespace spindle
