#include "scheduler/cancel_scope.hpp"

#include <cassert>

#include "scheduler/lowlevel.hpp"

namespace spindle {

CancelScope::Deadline& CancelScope::Deadline::operator=(std::optional<TimePoint> tp) {
  value_ = tp;
  scope_->arm_deadline();
  return *this;
}

CancelScope::Shield& CancelScope::Shield::operator=(bool on) {
  const bool was = value_;
  value_ = on;
  // Lowering a shield lets an outer cancellation in at once.
  if (was && !on && scope_->entered_ && cancelled_from(scope_->parent_)) scope_->deliver();
  return *this;
}

void detail::throw_cancelled(const CancelScope* s) {
  throw CancelledError(s ? s->message() : std::string());
}

const std::string& CancelScope::message() const {
  static const std::string none;
  return message_ ? *message_ : none;
}

CancelScope::~CancelScope() { assert(!entered_ && "CancelScope destroyed while entered"); }

void CancelScope::cancel(std::string message) {
  if (cancel_called_) return;
  cancel_called_ = true;
  if (!message.empty()) message_ = std::make_unique<std::string>(std::move(message));
  if (entered_) {
    owner_->loop->disarm(timer_);
    deliver();
  }
}

void CancelScope::on_deadline(detail::TimerNode& t) {
  auto* s = static_cast<CancelScope*>(t.context);
  if (s->cancel_called_) return;
  s->deadline_hit_ = true;
  s->cancel();
}

void CancelScope::arm_deadline() {
  if (!entered_ || cancel_called_) return;
  Loop& loop = *owner_->loop;
  lazy_ = false;
  if (!deadline.value_) {
    if (timer_.armed()) loop.disarm(timer_);
  } else if (*deadline.value_ <= loop.time_lower_bound()) {
    // Certainly past (no clock read). A deadline between that bound and now is armed and fires at
    // the loop's next timer check.
    if (timer_.armed()) loop.disarm(timer_);
    deadline_hit_ = true;
    cancel();
  } else if (loop.current() == owner_) {
    // Only the owner's next park or yield can be cut short by it: arm it then (arm_lazy), so a
    // body that finishes without parking never touches the timer heap.
    if (timer_.armed()) loop.disarm(timer_);
    lazy_ = true;
    owner_->lazy_deadlines = true;
  } else {
    loop.arm(timer_, *deadline.value_);
  }
}

void CancelScope::arm_lazy(detail::TaskBase& t) {
  t.lazy_deadlines = false;
  for (CancelScope* s = t.scope; s && s->owner_ == &t; s = s->parent_) {
    if (!s->lazy_) continue;
    s->lazy_ = false;
    t.loop->arm(s->timer_, *s->deadline.value_);
  }
}

void CancelScope::deliver() {
  // Wake the owner if this is its innermost scope and it is parked; recurse into nested scopes
  // and into the root scopes of tasks spawned into groups in here, stopping at shields.
  if (owner_ && owner_->scope == this && owner_->waiter) {
    Waiter& w = *owner_->waiter;
    if (w.reason() == WakeReason::pending) {
      if (w.on_cancel) w.on_cancel(w); else wake(w, WakeReason::cancelled);
    }
  }
  for (CancelScope* c = first_child_; c; c = c->next_sibling_) {
    if (!c->shield.value_) c->deliver();
  }
}

void CancelScope::enter(detail::TaskBase* owner, CancelScope* parent) {
  assert(!entered_ && "CancelScope entered twice");
  owner_ = owner;
  parent_ = parent;
  if (parent_) parent_->link_child(this);
  outer_in_task_ = owner->scope;
  owner->scope = this;
  entered_ = true;
  if (deadline.value_ && !cancel_called_) arm_deadline();
}

void CancelScope::enter_running(const char* api) {
  detail::TaskBase& self = lowlevel::current_task(api);
  enter(&self, self.scope);
}

void CancelScope::exit() noexcept {
  if (!entered_) return;
  if (lazy_) lazy_ = false;
  else if (timer_.armed()) owner_->loop->disarm(timer_);
  owner_->scope = outer_in_task_;
  if (parent_) parent_->unlink_child(this);
  // Only when a fiber is force-unwound can a scope end before what nests in it (a task group's
  // children): cut them loose rather than leave them pointing at this dead scope.
  while (CancelScope* c = first_child_) {
    first_child_ = c->next_sibling_;
    c->parent_ = nullptr;
    c->prev_sibling_ = c->next_sibling_ = nullptr;
  }
  entered_ = false;
}

bool CancelScope::owns_cancellation() const {
  return cancel_called_ && (shield.value_ || cancelled_from(parent_) == nullptr);
}

void CancelScope::link_child(CancelScope* c) {
  c->prev_sibling_ = nullptr;
  c->next_sibling_ = first_child_;
  if (first_child_) first_child_->prev_sibling_ = c;
  first_child_ = c;
}

void CancelScope::unlink_child(CancelScope* c) {
  if (c->prev_sibling_) c->prev_sibling_->next_sibling_ = c->next_sibling_;
  else first_child_ = c->next_sibling_;
  if (c->next_sibling_) c->next_sibling_->prev_sibling_ = c->prev_sibling_;
  c->prev_sibling_ = c->next_sibling_ = nullptr;
}

}  // namespace spindle
