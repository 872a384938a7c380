#include "sync/detail/permits.hpp"

#include "scheduler/cancel_scope.hpp"
#include "scheduler/detail/task_base.hpp"

namespace spindle::detail {

void Permits::acquire(TaskBase& self, const char* what) {
  if (const CancelScope* s = CancelScope::cancelled_from(self.scope)) [[unlikely]] {
    throw_cancelled(s);
  }
  if (try_acquire()) return;
  Waiter w(what);
  waiters_.wait(w);  // notified = the permit was handed to us; cancelled = unlinked, throws
}

TaskBase* Permits::release() noexcept {
  if (Waiter* w = waiters_.front()) {
    TaskBase* next = w->task();
    wake(*w);  // hand-off: the permit never becomes free, so nobody can barge in
    return next;
  }
  ++available_;
  return nullptr;
}

}  // namespace spindle::detail
