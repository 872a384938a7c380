#include "sync/lock.hpp"

#include <stdexcept>
#include <string>

#include "scheduler/lowlevel.hpp"

namespace spindle {

namespace {
std::string describe_holder(lowlevel::Task* t) {
  if (!t) return "a loop callback";
  return "task " + t->label();
}
}  // namespace

void Lock::lock() {
  lowlevel::Task& self = lowlevel::current_task("Lock::lock");
  if (owner_ == &self) [[unlikely]] {
    throw std::logic_error("spindle::Lock::lock: " + describe_holder(&self) +
                           " already holds this lock (Lock is not reentrant)");
  }
  lowlevel::checkpoint_if_cancelled(self);
  permits_.acquire("Lock.lock");
  owner_ = &self;
}

bool Lock::try_lock() {
  if (!permits_.try_acquire()) return false;
  owner_ = lowlevel::current_task_or_null();
  return true;
}

void Lock::unlock() {
  lowlevel::Task* self = lowlevel::current_task_or_null();
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
