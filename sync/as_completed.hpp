#pragma once
// asyncio.as_completed(): iterate over tasks in the order they finish. With a timeout, the step
// that would wait past the deadline throws TimeoutError; nothing is cancelled.
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <utility>
#include <vector>

#include "scheduler/task.hpp"
#include "scheduler/timeout.hpp"
#include "sync/detail/completion_watch.hpp"

namespace spindle {

template <class R>
class AsCompleted {
 public:
  AsCompleted(std::vector<Task<R>> tasks, std::optional<TimePoint> deadline)
      : tasks_(std::move(tasks)), deadline_(deadline) {
    std::vector<lowlevel::Task*> bases;
    for (const auto& t : tasks_) bases.push_back(t.get_base());
    watch_ = std::make_unique<detail::CompletionWatch>(bases, "wait");
  }

  class iterator {
   public:
    using value_type = Task<R>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(AsCompleted* s) : s_(s) { s_->advance(); }
    const Task<R>& operator*() const { return s_->current_; }
    iterator& operator++() {
      s_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return !s_ || s_->finished_; }

   private:
    AsCompleted* s_ = nullptr;
  };

  // Parks until the first task finishes (a cancellation point).
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const { return {}; }

 private:
  void advance() {
    if (next_ == tasks_.size()) {
      finished_ = true;
      return;
    }
    const std::size_t want = next_ + 1;
    if (!watch_->wait_until([&](const auto& w) { return w.finished_count() >= want; },
                            deadline_)) {
      throw TimeoutError("as_completed: the deadline passed");
    }
    current_ = tasks_[watch_->take_finished()];
    ++next_;
  }

  std::vector<Task<R>> tasks_;
  std::optional<TimePoint> deadline_;
  std::unique_ptr<detail::CompletionWatch> watch_;
  Task<R> current_;
  std::size_t next_ = 0;
  bool finished_ = false;
};

template <std::ranges::range Range>
auto as_completed(Range&& tasks, std::optional<Duration> timeout = std::nullopt) {
  using T = std::ranges::range_value_t<Range>;
  return AsCompleted<typename T::value_type>(
      std::vector<T>(std::ranges::begin(tasks), std::ranges::end(tasks)),
      detail::deadline_after(timeout));
}
// Any chrono duration, saturated (to_duration): as_completed(tasks, hours::max()) never times out.
template <std::ranges::range Range, class Rep, class Period>
auto as_completed(Range&& tasks, std::chrono::duration<Rep, Period> timeout) {
  return as_completed(std::forward<Range>(tasks), std::optional<Duration>(to_duration(timeout)));
}

}  // namespace spindle
