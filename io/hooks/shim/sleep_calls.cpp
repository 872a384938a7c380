// The sleeps (sleep, usleep, nanosleep, clock_nanosleep; std::this_thread::sleep_for is
// nanosleep): a park on the loop's clock, so the virtual clock jumps through them. Cancellation
// ends them with ECANCELED and the time not slept, as a signal would with EINTR.
#include <errno.h>
#include <time.h>

#include <cstdint>

#include "io/hooks/shim/park.hpp"

namespace spindle::hooks {
namespace {

constexpr std::int64_t kNanos = 1'000'000'000;

bool valid(const timespec& t) { return t.tv_sec >= 0 && t.tv_nsec >= 0 && t.tv_nsec < kNanos; }

// 0, or ECANCELED with what was left of `ns` in *left. A sleep of 0 is still a schedule point.
[[gnu::noinline]] int sleep_parked(const spindle_hooks_runtime& rt, std::int64_t ns, std::int64_t* left) {
  if (ns < 0) ns = 0;
  const Deadline d(rt, ns);
  if (rt.wait(nullptr, 0, ns, "sleep") != SPINDLE_HOOK_CANCELLED) return 0;
  if (left) *left = ns > 0 ? d.remaining() : 0;
  return ECANCELED;
}

void to_timespec(std::int64_t ns, timespec* out) {
  if (!out) return;
  out->tv_sec = ns / kNanos;
  out->tv_nsec = ns % kNanos;
}

}  // namespace
}  // namespace spindle::hooks

using namespace spindle::hooks;

SPINDLE_HOOK int nanosleep(const timespec* request, timespec* remaining) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt) return libc().nanosleep(request, remaining);
  if (!request || !valid(*request)) {
    errno = EINVAL;
    return -1;
  }
  std::int64_t left = 0;
  if (const int e = sleep_parked(*rt, request->tv_sec * kNanos + request->tv_nsec, &left)) {
    to_timespec(left, remaining);
    errno = e;
    return -1;
  }
  return 0;
}

SPINDLE_HOOK int clock_nanosleep(clockid_t clock, int flags, const timespec* request,
                                 timespec* remaining) {
  const spindle_hooks_runtime* rt = parking_runtime();
  const bool known = clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC ||
                     clock == CLOCK_BOOTTIME || clock == CLOCK_TAI;
  if (!rt || !known) return libc().clock_nanosleep(clock, flags, request, remaining);
  if (!request || !valid(*request)) return EINVAL;
  std::int64_t ns = request->tv_sec * kNanos + request->tv_nsec;
  if (flags & TIMER_ABSTIME) {  // until a time on that clock: as long from now, on the loop's
    timespec now{};
    clock_gettime(clock, &now);
    ns -= now.tv_sec * kNanos + now.tv_nsec;
  }
  std::int64_t left = 0;
  const int e = sleep_parked(*rt, ns, &left);
  if (e && !(flags & TIMER_ABSTIME)) to_timespec(left, remaining);
  return e;  // clock_nanosleep returns the error rather than setting errno
}

SPINDLE_HOOK int usleep(useconds_t us) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt) return libc().usleep(us);
  if (const int e = sleep_parked(*rt, static_cast<std::int64_t>(us) * 1'000, nullptr)) {
    errno = e;
    return -1;
  }
  return 0;
}

SPINDLE_HOOK unsigned sleep(unsigned seconds) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt) return libc().sleep(seconds);
  std::int64_t left = 0;
  if (sleep_parked(*rt, static_cast<std::int64_t>(seconds) * kNanos, &left)) {
    return static_cast<unsigned>((left + kNanos - 1) / kNanos);  // what is left, rounded up
  }
  return 0;
}
