#include "sync/wait_for.hpp"

#include "scheduler/detail/task_base.hpp"
#include "scheduler/wait_queue.hpp"

namespace spindle::detail {

bool join_or_cancel(TaskBase& t, std::optional<TimePoint> deadline) {
  auto reap = [&](const char* why) {
    t.root_scope.cancel(why);
    shield([&] {
      while (!t.done()) {
        Waiter w("wait_for.reap");
        t.joiners.wait(w);
      }
    });
  };
  try {
    while (!t.done()) {
      Waiter w("wait_for");
      if (t.joiners.wait(w, deadline) == WakeReason::timed_out) {
        reap("wait_for: the deadline passed");
        return false;
      }
    }
  } catch (const CancelledError&) {
    // Cancel and reap the work, then let the caller's CancelledError continue.
    reap("wait_for: the waiting fiber was cancelled");
    throw;
  }
  return true;
}

}  // namespace spindle::detail
