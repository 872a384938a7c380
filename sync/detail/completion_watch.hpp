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

  const std::vector<lowlevel::Task*>& finished() const { return finished_; }
  bool all_finished() const { return finished_.size() == total_; }
  // The first task, in completion order, that failed (nullptr if none has).
  lowlevel::Task* first_failure() const { return first_failure_; }

 private:
  struct Watch final : lowlevel::DoneObserver {
    CompletionWatch* owner = nullptr;
    lowlevel::Task* task = nullptr;  // unset for a task that was done when the watch began
    void on_done(lowlevel::Task& t) override { owner->note(t); }
  };
  void note(lowlevel::Task& t);
  bool park_once(std::optional<TimePoint> deadline);  // false on timeout

  std::unique_ptr<Watch[]> watches_;
  std::vector<lowlevel::Task*> finished_;
  std::size_t total_ = 0;
  lowlevel::Task* first_failure_ = nullptr;
  const char* what_;
  const char* cancel_on_failure_ = nullptr;  // set once every task is watched
  lowlevel::Waiter* waiter_ = nullptr;
};

}  // namespace spindle::detail
