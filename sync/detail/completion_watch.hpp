#pragma once
// Watches a set of tasks and records them in completion order, waking one parked fiber as each
// finishes. Shared by wait() and as_completed(). Tasks already done count as finished at once, in
// input order. Destroying the watch stops watching (the tasks keep running).
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "scheduler/clock.hpp"
#include "scheduler/lowlevel.hpp"

namespace spindle::detail {

class CompletionWatch {
 public:
  explicit CompletionWatch(const std::vector<lowlevel::Task*>& tasks);
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
  const std::vector<lowlevel::Task*>& finished() const { return finished_; }
  std::size_t total() const { return total_; }
  bool any_failed() const { return failed_; }

 private:
  struct Watch final : lowlevel::DoneObserver {
    CompletionWatch* owner = nullptr;
    void on_done(lowlevel::Task& t) override { owner->note(t); }
  };
  void note(lowlevel::Task& t);
  bool park_once(std::optional<TimePoint> deadline);  // false on timeout

  std::unique_ptr<Watch[]> watches_;
  std::vector<lowlevel::Task*> finished_;
  std::size_t total_ = 0;
  bool failed_ = false;
  Waiter* waiter_ = nullptr;
};

}  // namespace spindle::detail
