#include "sync/wait_for.hpp"

#include "scheduler/lowlevel.hpp"

namespace spindle::detail {

bool join_or_cancel(lowlevel::Task& t, std::optional<TimePoint> deadline) {
  auto reap = [&](const char* why) {
    t.cancel(why);
    shield([&] { t.wait_done("wait_for.reap"); });
  };
  try {
    if (!t.wait_done("wait_for", deadline)) {
      reap("wait_for: the deadline passed");
      return false;
    }
  } catch (const CancelledError&) {
    // Cancel and reap the work, then let the caller's CancelledError continue.
    reap("wait_for: the waiting fiber was cancelled");
    throw;
  }
  return true;
}

}  // namespace spindle::detail
