#include "sync/lock.hpp"

#include <stdexcept>
#include <string>

#include "scheduler/detail/running.hpp"
#include "scheduler/detail/task_base.hpp"
#include "scheduler/loop.hpp"

namespace spindle {

namespace {
detail::TaskBase* running_or_null() {
  Loop* l = detail::t_running_loop;
  return l ? l->current() : nullptr;
}
std::string describe_holder(detail::TaskBase* t) {
  if (!t) return "a loop callback";
  return "task '" + t->display_name() + "' (id " + std::to_string(t->id) + ")";
}
}  // namespace

void Lock::lock() {
  detail::TaskBase& self = detail::running_task("Lock::lock");
  if (owner_ == &self) [[unlikely]] {
    throw std::logic_error("spindle::Lock::lock: " + describe_holder(&self) +
                           " already holds this lock (Lock is not reentrant)");
  }
  permits_.acquire(self, "Lock.lock");
  owner_ = &self;
}

bool Lock::try_lock() {
  if (!permits_.try_acquire()) return false;
  owner_ = running_or_null();
  return true;
}

void Lock::unlock() {
  detail::TaskBase* self = running_or_null();
  if (!locked()) {
    throw std::logic_error("spindle::Lock::unlock: the lock is not held (unlock by " +
                           describe_holder(self) + ")");
  }
  if (owner_ != self) {
    throw std::logic_error("spindle::Lock::unlock: the lock is held by " + describe_holder(owner_) +
                           ", not by the caller, " + describe_holder(self));
  }
  owner_ = permits_.release();  // the next holder, or nullptr when the lock is free again
}

}  // namespace spindle
