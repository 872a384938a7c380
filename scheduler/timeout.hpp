#pragma once
// Timeouts are deadlines on cancel scopes (Trio): timeout(), timeout_at(), move_on_after(), and
// shield() all run their body inline, in a scope of their own.
#include <optional>
#include <type_traits>
#include <utility>

#include "scheduler/cancel_scope.hpp"
#include "scheduler/errors.hpp"

namespace spindle {

// What a timeout body may take to inspect or move its deadline (asyncio.Timeout).
class Timeout {
 public:
  explicit Timeout(CancelScope& s) : scope_(s) {}
  std::optional<TimePoint> when() const { return scope_.deadline; }
  // Moves the deadline (earlier, later, or std::nullopt for none); takes effect at once.
  // TimePoint::max() never fires; a time point in the past fires at the next cancellation point.
  void reschedule(std::optional<TimePoint> when) { scope_.deadline = when; }
  // True from the moment the deadline fired.
  bool expired() const { return scope_.deadline_hit(); }

 private:
  CancelScope& scope_;
};

namespace detail {
template <class F>
decltype(auto) call_with_timeout(F& body, Timeout& t) {
  if constexpr (std::is_invocable_v<F&, Timeout&>) {
    return body(t);
  } else {
    (void)t;
    return body();
  }
}
template <class F>
using TimeoutResult = std::remove_cvref_t<decltype(call_with_timeout(std::declval<F&>(),
                                                                    std::declval<Timeout&>()))>;
// The running loop's now() + d, saturated (TimePoint::max(): never); d ≤ 0 → already expired.
std::optional<TimePoint> deadline_after(std::optional<Duration> d);
}  // namespace detail

// Runs body (callable with no arguments or with Timeout&) with a deadline; if the deadline
// cancels it, throws TimeoutError: also when the body returned anyway after a call reported the
// cancellation as an error code (a foreign library that got ECANCELED from a hooked call,
// io/hooks/hooks.hpp). A body that never reaches a cancellation point returns normally (Trio). std::nullopt = no deadline (yet). Durations saturate (see
// scheduler/clock.hpp): timeout(hours::max(), body) never fires, a negative one has expired.
template <class F>
auto timeout_at(std::optional<TimePoint> deadline, F&& body) {
  using R = detail::TimeoutResult<F>;
  CancelScope scope;
  scope.deadline = deadline;
  Timeout t(scope);
  auto out = scope.run([&] { return detail::call_with_timeout(body, t); });
  if (!out || (scope.deadline_hit() && scope.cancellation_reported())) {
    throw TimeoutError("timeout: the deadline passed");
  }
  if constexpr (!std::is_void_v<R>) return std::move(*out);
}

template <class F>
auto timeout(std::optional<Duration> d, F&& body) {
  return timeout_at(detail::deadline_after(d), std::forward<F>(body));
}
template <class Rep, class Period, class F>
auto timeout(std::chrono::duration<Rep, Period> d, F&& body) {
  return timeout(std::optional<Duration>(to_duration(d)), std::forward<F>(body));
}

// Like timeout() but a deadline is not an error: the result is empty when it hit.
template <class F>
auto move_on_at(std::optional<TimePoint> deadline, F&& body) {
  CancelScope scope;
  scope.deadline = deadline;
  Timeout t(scope);
  return scope.run([&] { return detail::call_with_timeout(body, t); });
}
template <class Rep, class Period, class F>
auto move_on_after(std::chrono::duration<Rep, Period> d, F&& body) {
  return move_on_at(detail::deadline_after(to_duration(d)), std::forward<F>(body));
}

// Runs f inline where the caller's cancellation cannot reach it; a cancellation that arrived
// meanwhile is raised at the caller's next cancellation point.
template <class F>
decltype(auto) shield(F&& f) {
  CancelScope scope;
  scope.shield = true;
  using R = std::invoke_result_t<F>;
  auto out = scope.run(std::forward<F>(f));
  if constexpr (!std::is_void_v<R>) return R(std::move(*out));
}

}  // namespace spindle
