#pragma once
// The loop's clock types, and the saturating arithmetic every API that takes a duration or a time
// point uses, so that "forever" never overflows:
// - TimePoint::max() means never: no timer is armed for it, so a sleep until it parks until
//   cancelled and a deadline at it never fires (a fiber waiting only for it, under the virtual
//   clock, is a deadlock).
// - A deadline is saturating_add(now, d): past the clock's end it becomes TimePoint::max().
// - APIs that take any chrono duration convert it with to_duration(): hours::max(), +inf and
//   anything beyond Duration's ~292 years become Duration::max(), their negatives Duration::min()
//   (already expired; negative durations behave as zero).
// A field or parameter of type Duration (WaitOptions::timeout, ConnectOptions, RunOptions,
// Server::shutdown) takes Duration::max() for forever; std::chrono's own implicit conversion of a
// coarser duration such as hours::max() overflows before spindle sees it: use to_duration().
#include <chrono>
#include <cmath>
#include <ratio>
#include <stdexcept>
#include <type_traits>

namespace spindle {

using Duration = std::chrono::nanoseconds;
// A time point of the loop's clock. Under ClockKind::virtual_time it starts at the real time of
// run() and then only moves when every fiber is parked (it jumps to the next deadline).
using TimePoint = std::chrono::steady_clock::time_point;

enum class ClockKind { real, virtual_time };

// The running loop's current time; outside a running loop → std::logic_error.
TimePoint now();

// `t + d`, clamped to [TimePoint::min(), TimePoint::max()] instead of overflowing.
constexpr TimePoint saturating_add(TimePoint t, Duration d) noexcept {
  if (d > Duration::zero() && t > TimePoint::max() - d) return TimePoint::max();
  if (d < Duration::zero() && t < TimePoint::min() - d) return TimePoint::min();
  return t + d;
}

// Any chrono duration as a Duration, rounded up to whole nanoseconds (a deadline never comes
// early) and clamped to [Duration::min(), Duration::max()]. NaN → std::invalid_argument.
template <class Rep, class Period>
Duration to_duration(std::chrono::duration<Rep, Period> d) {
  // The range check in long double (a 64-bit mantissa holds Duration's ends exactly).
  const long double ns = std::chrono::duration<long double, std::nano>(d).count();
  if (std::isnan(ns)) throw std::invalid_argument("spindle: a duration is NaN");
  if (ns >= static_cast<long double>(Duration::max().count())) return Duration::max();
  if (ns <= static_cast<long double>(Duration::min().count())) return Duration::min();
  using PerNano = std::ratio_divide<Period, std::nano>;
  if constexpr (std::is_integral_v<Rep> && (PerNano::num == 1 || PerNano::den == 1)) {
    return std::chrono::ceil<Duration>(d);  // exact, and in range: no intermediate overflow
  } else {
    return Duration(static_cast<Duration::rep>(std::ceil(ns)));
  }
}

}  // namespace spindle
