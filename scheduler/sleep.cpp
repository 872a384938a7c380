#include "scheduler/sleep.hpp"

#include "scheduler/detail/running.hpp"
#include "scheduler/detail/task_base.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/timeout.hpp"

namespace spindle {

void raise_if_cancelled() {
  detail::TaskBase& self = detail::running_task("raise_if_cancelled");
  if (const CancelScope* s = CancelScope::cancelled_from(self.scope)) detail::throw_cancelled(s);
}

void yield_now() {
  Loop* running = detail::t_running_loop;
  detail::TaskBase* current = running ? running->current() : nullptr;
  detail::TaskBase& self = current ? *current : detail::running_task("yield_now");
  if (const CancelScope* s = CancelScope::cancelled_from(self.scope)) [[unlikely]] {
    detail::throw_cancelled(s);
  }
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
