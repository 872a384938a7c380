#include "scheduler/sleep.hpp"

#include "scheduler/detail/hot_path.hpp"
#include "scheduler/lowlevel.hpp"
#include "scheduler/timeout.hpp"

namespace spindle {

void raise_if_cancelled() { lowlevel::checkpoint_if_cancelled("raise_if_cancelled"); }

SPINDLE_HOT_PATH void yield_now() {
  lowlevel::Task& self = lowlevel::checkpoint_if_cancelled("yield_now");
  if (self.lazy_deadlines) CancelScope::arm_lazy(self);
  Loop& loop = *self.loop;
  loop.make_ready(self);
  loop.suspend();
}

void sleep_until(TimePoint deadline) {
  Loop& loop = this_loop();
  if (deadline <= loop.time()) return yield_now();
  Waiter w("sleep");
  park(w, deadline);
}

void sleep(Duration d) { sleep_until(*detail::deadline_after(d)); }

}  // namespace spindle

namespace spindle::detail {
std::optional<TimePoint> deadline_after(std::optional<Duration> d) {
  if (!d) return std::nullopt;
  Loop* running = t_running_loop;
  Loop& loop = running ? *running : this_loop();
  if (*d <= Duration::zero()) return loop.time_lower_bound();  // already expired, as asyncio
  return saturating_add(loop.time(), *d);
}
}  // namespace spindle::detail
