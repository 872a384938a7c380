#pragma once
// asyncio.wait_for(): the work's result, or TimeoutError once the deadline has cancelled and
// reaped the work. If the cancelled work ends with an exception other than CancelledError, that
// exception propagates instead. Cancelling the caller cancels the work too. Durations saturate
// (scheduler/clock.hpp): wait_for(hours::max(), f) never times out.
#include <optional>
#include <type_traits>
#include <utility>

#include "scheduler/cancel_scope.hpp"
#include "scheduler/lowlevel.hpp"
#include "scheduler/task.hpp"
#include "scheduler/timeout.hpp"

namespace spindle {

namespace detail {
// Joins `t` until the deadline; on timeout or caller cancellation, cancels `t` and waits for it.
// Returns false if the deadline passed before `t` finished on its own.
bool join_or_cancel(lowlevel::Task& t, std::optional<TimePoint> deadline);
}  // namespace detail

// wait_for(d, callable): runs it inline under a deadline (the same as timeout(d, callable)).
template <class Rep, class Period, class F>
  requires(!std::is_base_of_v<TaskRef, std::remove_cvref_t<F>>)
auto wait_for(std::chrono::duration<Rep, Period> d, F&& f) {
  return timeout(d, std::forward<F>(f));
}

// wait_for(d, task): the task's result; on the deadline the task is cancelled and reaped.
template <class Rep, class Period, class R>
R wait_for(std::chrono::duration<Rep, Period> d, const Task<R>& task) {
  const bool in_time =
      detail::join_or_cancel(*task.get_base(), detail::deadline_after(to_duration(d)));
  if (!in_time && task.cancelled()) throw TimeoutError("wait_for: the deadline passed");
  return task.result();
}

}  // namespace spindle
