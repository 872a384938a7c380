#pragma once
#include <chrono>

namespace spindle {

using Duration = std::chrono::nanoseconds;
// A time point of the loop's clock. Under ClockKind::virtual_time it starts at the real time of
// run() and then only moves when every fiber is parked (it jumps to the next deadline).
using TimePoint = std::chrono::steady_clock::time_point;

enum class ClockKind { real, virtual_time };

// The running loop's current time; outside a running loop → std::logic_error.
TimePoint now();

}  // namespace spindle
