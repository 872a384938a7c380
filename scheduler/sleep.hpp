#pragma once
// Time-based parking. All are cancellation points; negative durations behave as zero (asyncio);
// a deadline past the clock's end (Duration::max(), TimePoint::max()) parks until cancelled.
#include <utility>

#include "scheduler/clock.hpp"

namespace spindle {

// Lets every callback and fiber queued before the caller run first (asyncio.sleep(0)).
void yield_now();
// yield_now() under Trio's name: a cancellation point and a schedule point.
inline void checkpoint() { yield_now(); }
// Throws CancelledError if the running fiber's scope is cancelled; never parks.
void raise_if_cancelled();

void sleep_until(TimePoint deadline);
void sleep(Duration d);
// Any chrono duration (e.g. std::chrono::duration<double>), rounded up to whole nanoseconds and
// saturated (to_duration): sleep(hours::max()) parks until cancelled.
template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> d) {
  sleep(to_duration(d));
}

template <class Rep, class Period, class T>
T sleep(std::chrono::duration<Rep, Period> d, T value) {
  sleep(to_duration(d));
  return value;
}

}  // namespace spindle
