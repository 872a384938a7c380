#pragma once
// asyncio.Semaphore and BoundedSemaphore: a counter of permits with a FIFO-fair queue of fibers
// waiting for one. release() hands the permit straight to the first waiter. lock()/unlock() make
// them BasicLockable: `std::lock_guard g(sem);` is `async with sem:`.
#include <cstddef>
#include <limits>

#include "sync/detail/permits.hpp"

namespace spindle {

class Semaphore {
 public:
  // value < 0 → std::invalid_argument.
  explicit Semaphore(std::ptrdiff_t value = 1);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Try, else park until a permit is handed over. A cancellation point: throws CancelledError
  // holding no permit.
  void acquire();
  // Takes a permit if one is free and nobody waits; never parks.
  bool try_acquire() { return permits_.try_acquire(); }
  // Gives a permit back (to the first waiter if there is one). Never parks. BoundedSemaphore:
  // more releases than acquires → std::logic_error.
  void release();
  // True when acquire() would park.
  bool locked() const { return permits_.available() == 0 || permits_.waiting() > 0; }
  std::size_t value() const { return permits_.available(); }
  std::size_t waiting() const { return permits_.waiting(); }

  void lock() { acquire(); }
  bool try_lock() { return try_acquire(); }
  void unlock() { release(); }

 protected:
  Semaphore(std::ptrdiff_t value, std::size_t bound, const char* name);

 private:
  detail::Permits permits_;
  std::size_t bound_ = std::numeric_limits<std::size_t>::max();
  const char* name_ = "Semaphore";
};

// A Semaphore that refuses to be released more often than it was acquired (its value can never
// exceed the initial one): such a release → std::logic_error.
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::ptrdiff_t value = 1);
};

}  // namespace spindle
