#pragma once
// asyncio.Barrier: parties() fibers meet; each wait() returns its arrival index (0 … n−1) once the
// last one has arrived, and the barrier is at once ready for the next round. abort() breaks it
// (every waiter, and every later wait(), throws BrokenBarrierError until reset()); reset() sends
// BrokenBarrierError to the fibers parked now and empties the barrier for a new round. A waiter
// cancelled while parked leaves (n_waiting() drops).
#include <cstddef>
#include <stdexcept>

#include "scheduler/wait_queue.hpp"

namespace spindle {

class BrokenBarrierError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Barrier {
 public:
  // parties <= 0 → std::invalid_argument.
  explicit Barrier(std::ptrdiff_t parties);
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // Parks until parties() fibers have arrived (the last does not park); returns the arrival index.
  // A cancellation point. Broken (now or while parked) → BrokenBarrierError.
  std::size_t wait();
  // Neither parks.
  void reset();
  void abort();

  std::size_t parties() const { return parties_; }
  std::size_t n_waiting() const { return waiters_.size(); }
  bool broken() const { return broken_; }

 private:
  void break_waiters();

  WaitQueue waiters_{"Barrier"};
  std::size_t parties_;
  bool broken_ = false;
};

}  // namespace spindle
