#include "sync/detail/completion_watch.hpp"

#include "scheduler/lowlevel.hpp"

namespace spindle::detail {

CompletionWatch::CompletionWatch(const std::vector<lowlevel::Task*>& tasks)
    : watches_(std::make_unique<Watch[]>(tasks.size())), total_(tasks.size()) {
  finished_.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i]->done()) {
      note(*tasks[i]);
    } else {
      watches_[i].owner = this;
      watches_[i].observe(*tasks[i]);
    }
  }
}

void CompletionWatch::note(lowlevel::Task& t) {
  finished_.push_back(&t);
  if (t.failed()) failed_ = true;
  if (waiter_) wake(*waiter_);
}

bool CompletionWatch::park_once(std::optional<TimePoint> deadline) {
  Waiter w("wait");
  waiter_ = &w;
  struct Reset {
    Waiter*& w;
    ~Reset() { w = nullptr; }
  } reset{waiter_};
  return park(w, deadline) != WakeReason::timed_out;
}

}  // namespace spindle::detail
