#pragma once
// The one "watch these tasks finish" helper, under gather(), wait() and as_completed(): records the
// tasks in completion order and wakes the one fiber parked on it as each finishes. Tasks already
// done count as finished at once, in input order. Destroying the watch stops watching (the tasks
// keep running).
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "scheduler/clock.hpp"
#include "scheduler/lowlevel.hpp"

namespace spindle::detail {

class CompletionWatch {
 public:
  // `what` names the wait for diagnostics. With `cancel_on_failure` set (gather), the first
  // failure cancels every task still running, with that message.
  CompletionWatch(const std::vector<lowlevel::Task*>& tasks, const char* what,
                  const char* cancel_on_failure = nullptr);
  CompletionWatch(const CompletionWatch&) = delete;
  CompletionWatch& operator=(const CompletionWatch&) = delete;

  // Parks until ready(*this) holds or the deadline passes; returns ready(*this). A cancellation
  // point; cancelling the caller does not cancel the tasks.
  template <class Ready>
  bool wait_until(Ready&& ready, std::optional<TimePoint> deadline) {
    while (!ready(*this)) {
      if (!park_once(deadline)) return ready(*this);
    }
    return true;
  }
  // Cancels every watched task that is still running, in input order.
  void cancel_unfinished(const char* why);

  std::size_t finished_count() const { return finished_; }
  bool all_finished() const { return finished_ == total_; }
  // The input index of the earliest finished task not taken yet; only when finished_count() is
  // more than the number taken so far. Tasks are taken in completion order.
  std::size_t take_finished();
  // The first task, in completion order, that failed (nullptr if none has).
  lowlevel::Task* first_failure() const { return first_failure_; }

 private:
  struct Watch final : lowlevel::DoneObserver {
    CompletionWatch* owner = nullptr;
    lowlevel::Task* task = nullptr;
    Watch* next_finished = nullptr;
    void on_done(lowlevel::Task&) override { owner->note(*this); }
  };
  void note(Watch& w);
  bool park_once(std::optional<TimePoint> deadline);  // false on timeout

  std::unique_ptr<Watch[]> watches_;  // one per task, in input order
  Watch* untaken_ = nullptr;          // finished and not taken, in completion order, up to...
  Watch** untaken_end_ = &untaken_;   // ...the last one's next_finished
  std::size_t total_ = 0;
  std::size_t finished_ = 0;
  lowlevel::Task* first_failure_ = nullptr;
  const char* what_;
  const char* cancel_on_failure_ = nullptr;  // set once every task is watched
  lowlevel::Waiter* waiter_ = nullptr;
};

}  // namespace spindle::detail
