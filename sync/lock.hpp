#pragma once
// asyncio.Lock: a FIFO-fair, non-reentrant mutual-exclusion lock for fibers. BasicLockable and
// Lockable, so std::lock_guard, std::unique_lock and std::scoped_lock work:
//   spindle::Lock lock;  { std::lock_guard g(lock); ... }   // = `async with lock:`
// unlock() gives the lock straight to the first waiter (hand-off, no barging).
#include <cstddef>

#include "sync/detail/permits.hpp"

namespace spindle {

class Lock {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Try, else park until the lock is handed over. A cancellation point: throws CancelledError
  // without the lock. Locking a lock the calling fiber already holds → std::logic_error.
  void lock();
  // Takes the lock if it is free and nobody waits for it; never parks.
  bool try_lock();
  // Not locked, or held by another fiber → std::logic_error.
  void unlock();
  bool locked() const { return permits_.available() == 0; }
  // How many fibers are parked waiting for the lock.
  std::size_t waiting() const { return permits_.waiting(); }

 private:
  detail::Permits permits_{1, "Lock"};
  lowlevel::Task* owner_ = nullptr;  // nullptr while free, or when taken by a loop callback
};

}  // namespace spindle
