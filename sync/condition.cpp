#include "sync/condition.hpp"

#include <stdexcept>

#include "fibers/fiber.hpp"
#include "scheduler/lowlevel.hpp"

namespace spindle {

void Condition::wait(std::unique_lock<Lock>& lk) {
  if (!lk.owns_lock()) {
    throw std::logic_error("spindle::Condition::wait: the unique_lock does not hold its Lock");
  }
  lowlevel::checkpoint_if_cancelled("Condition::wait");  // with the lock still held, as on every exit
  Lock& lock = *lk.mutex();
  Waiter w("Condition.wait");
  waiters_.push(w);
  lock.unlock();  // lk still says it owns the lock: it will again when wait() leaves
  auto reacquire = [&] { shield([&] { lock.lock(); }); };
  try {
    park(w);
  } catch (const CancelledError&) {
    reacquire();
    throw;
  } catch (const fibers::ForcedUnwind&) {
    lk.release();  // the loop is unwinding a stuck fiber: it does not hold the lock any more
    throw;
  }
  reacquire();
}

void Condition::notify(std::size_t n) {
  for (; n > 0 && waiters_.wake_one(); --n) {
  }
}

}  // namespace spindle
