#pragma once
// The fair core under Lock and Semaphore (Tokio's batch_semaphore, Trio's ParkingLot): a count of
// free permits and a FIFO WaitQueue of fibers that want one. release() hands the permit straight
// to the first waiter (no barging, no wake-and-retry); a waiter cancelled while queued is simply
// unlinked, so it never swallows a hand-off meant for another.
//
// Invariant: waiters are queued only while no permit is free (available() == 0).
#include <cstddef>

#include "scheduler/lowlevel.hpp"

namespace spindle::detail {

class Permits {
 public:
  // `owner` names the primitive built on it ("Lock", "Semaphore"), for WaitQueue's diagnostics.
  Permits(std::size_t n, const char* owner) noexcept : available_(n), waiters_(owner) {}

  // Takes a permit if one is free and nobody queued before the caller. Never parks.
  bool try_acquire() noexcept {
    if (available_ == 0 || !waiters_.empty()) return false;
    --available_;
    return true;
  }
  // Try, else park until a permit is handed over. Call after the caller's checkpoint (the fast
  // path is a cancellation point too): throws CancelledError holding nothing if cancelled while
  // queued. `what` names the wait for diagnostics.
  void acquire(const char* what);
  // Hands the permit to the first queued fiber (returned, so Lock can record its new owner), or
  // puts it back (nullptr).
  lowlevel::Task* release() noexcept;

  std::size_t available() const noexcept { return available_; }
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  std::size_t available_;
  WaitQueue waiters_;
};

}  // namespace spindle::detail
