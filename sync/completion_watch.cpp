#include "sync/detail/completion_watch.hpp"

namespace spindle::detail {

CompletionWatch::CompletionWatch(const std::vector<lowlevel::Task*>& tasks, const char* what,
                                 const char* cancel_on_failure)
    : watches_(std::make_unique<Watch[]>(tasks.size())), total_(tasks.size()), what_(what) {
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    Watch& w = watches_[i];
    w.owner = this;
    w.task = tasks[i];
    if (w.task->done()) {
      note(w);
    } else {
      w.observe(*w.task);
    }
  }
  // A failure among the tasks already done cancels the rest only now that all are watched.
  cancel_on_failure_ = cancel_on_failure;
  if (cancel_on_failure_ && first_failure_) cancel_unfinished(cancel_on_failure_);
}

void CompletionWatch::cancel_unfinished(const char* why) {
  for (std::size_t i = 0; i < total_; ++i) watches_[i].task->cancel(why);  // no-op once done
}

std::size_t CompletionWatch::take_finished() {
  Watch* w = untaken_;
  untaken_ = w->next_finished;
  if (!untaken_) untaken_end_ = &untaken_;
  return static_cast<std::size_t>(w - watches_.get());
}

void CompletionWatch::note(Watch& w) {
  *untaken_end_ = &w;
  untaken_end_ = &w.next_finished;
  ++finished_;
  if (w.task->failed() && !first_failure_) {
    first_failure_ = w.task;
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
