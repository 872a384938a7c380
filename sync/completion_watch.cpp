#include "sync/detail/completion_watch.hpp"

namespace spindle::detail {

CompletionWatch::CompletionWatch(const std::vector<lowlevel::Task*>& tasks, const char* what,
                                 const char* cancel_on_failure)
    : watches_(std::make_unique<Watch[]>(tasks.size())), total_(tasks.size()), what_(what) {
  finished_.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i]->done()) {
      note(*tasks[i]);
    } else {
      watches_[i].owner = this;
      watches_[i].task = tasks[i];
      watches_[i].observe(*tasks[i]);
    }
  }
  // A failure among the tasks already done cancels the rest only now that all are watched.
  cancel_on_failure_ = cancel_on_failure;
  if (cancel_on_failure_ && first_failure_) cancel_unfinished(cancel_on_failure_);
}

void CompletionWatch::cancel_unfinished(const char* why) {
  for (std::size_t i = 0; i < total_; ++i) {
    if (lowlevel::Task* t = watches_[i].task) t->cancel(why);  // a no-op once it is done
  }
}

void CompletionWatch::note(lowlevel::Task& t) {
  finished_.push_back(&t);
  if (t.failed() && !first_failure_) {
    first_failure_ = &t;
    if (cancel_on_failure_) cancel_unfinished(cancel_on_failure_);
  }
  if (waiter_) lowlevel::wake(*waiter_);
}

bool CompletionWatch::park_once(std::optional<TimePoint> deadline) {
  lowlevel::Waiter w(what_);
  waiter_ = &w;
  struct Reset {
    lowlevel::Waiter*& w;
    ~Reset() { w = nullptr; }
  } reset{waiter_};
  return lowlevel::park(w, deadline) != lowlevel::WakeReason::timed_out;
}

}  // namespace spindle::detail
