#include "sync/detail/permits.hpp"

namespace spindle::detail {

void Permits::acquire(const char* what) {
  if (try_acquire()) return;
  Waiter w(what);
  waiters_.wait(w);  // notified = the permit was handed to us; cancelled = unlinked, throws
}

lowlevel::Task* Permits::release() noexcept {
  if (Waiter* w = waiters_.front()) {
    lowlevel::Task* next = w->task();
    wake(*w);  // hand-off: the permit never becomes free, so nobody can barge in
    return next;
  }
  ++available_;
  return nullptr;
}

}  // namespace spindle::detail
