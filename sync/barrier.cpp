#include "sync/barrier.hpp"

#include <string>

#include "scheduler/lowlevel.hpp"

namespace spindle {

namespace {
std::size_t checked_parties(std::ptrdiff_t parties) {
  if (parties <= 0) {
    throw std::invalid_argument("spindle::Barrier: parties must be > 0, got " +
                                std::to_string(parties));
  }
  return static_cast<std::size_t>(parties);
}
}  // namespace

Barrier::Barrier(std::ptrdiff_t parties) : parties_(checked_parties(parties)) {}

std::size_t Barrier::wait() {
  lowlevel::checkpoint_if_cancelled("Barrier::wait");
  if (broken_) throw BrokenBarrierError("spindle::Barrier::wait: the barrier is broken");
  const std::size_t index = waiters_.size();
  if (index + 1 == parties_) {
    waiters_.wake_all();  // the round is complete; the barrier is empty for the next one
    return index;
  }
  Waiter w("Barrier.wait");
  if (waiters_.wait(w) == WakeReason::closed) {  // released by abort()/reset(), not the last arrival
    throw BrokenBarrierError("spindle::Barrier::wait: the barrier was reset or aborted");
  }
  return index;
}

void Barrier::break_waiters() { waiters_.wake_all(WakeReason::closed); }

void Barrier::reset() {
  break_waiters();
  broken_ = false;
}

void Barrier::abort() {
  broken_ = true;
  break_waiters();
}

}  // namespace spindle
