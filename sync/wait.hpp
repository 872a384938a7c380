#pragma once
// asyncio.wait(): park until all, the first, or the first failing of some tasks is done, with an
// optional timeout. Returns {done, pending} in input order. Never cancels the tasks (neither on
// timeout nor when the caller is cancelled).
#include <optional>
#include <ranges>
#include <vector>

#include "scheduler/clock.hpp"
#include "scheduler/task.hpp"
#include "sync/detail/completion_watch.hpp"

namespace spindle {

enum class ReturnWhen { all_completed, first_completed, first_exception };

struct WaitOptions {
  std::optional<Duration> timeout;  // Duration::max(): none; ≤ 0: return at once
  ReturnWhen return_when = ReturnWhen::all_completed;
};

template <class R>
struct WaitResult {
  std::vector<Task<R>> done;
  std::vector<Task<R>> pending;
};

namespace detail {
void wait_tasks(const std::vector<lowlevel::Task*>& tasks, const WaitOptions& opts);
}

template <std::ranges::range Range>
auto wait(Range&& tasks, WaitOptions opts = {}) {
  using T = std::ranges::range_value_t<Range>;  // Task<R>
  std::vector<T> all(std::ranges::begin(tasks), std::ranges::end(tasks));
  std::vector<lowlevel::Task*> bases;
  bases.reserve(all.size());
  for (const auto& t : all) bases.push_back(t.get_base());
  detail::wait_tasks(bases, opts);
  WaitResult<typename T::value_type> out;
  for (auto& t : all) (t.done() ? out.done : out.pending).push_back(std::move(t));
  return out;
}

}  // namespace spindle
