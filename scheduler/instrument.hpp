#pragma once
// Instrumentation points at the seam (Trio's instruments): what park reasons, trace events and
// seeded schedules hang off. Install an Instrument for one run with RunOptions::instrument. Its
// methods run on the loop thread, synchronously, at the event; they must not park, throw or
// spawn. Without one, each point costs one predictable branch: no call, no allocation.

#include "scheduler/spawn_site.hpp"
#include "scheduler/task.hpp"

namespace spindle {

class Instrument {
 public:
  virtual ~Instrument() = default;
  // `task` was spawned (queued, not run yet) at `site`: SpawnOptions::site, the caller of spawn.
  virtual void on_spawn(const TaskRef& /*task*/, const SpawnSite& /*site*/) noexcept {}
  // `task` parks in `what` ("Lock.lock", "sleep") on `object`: the WaitQueue it waits in (a
  // member of the primitive), or nullptr for a wait in no queue (sleep, I/O).
  virtual void on_park(const TaskRef& /*task*/, const char* /*what*/,
                       const void* /*object*/) noexcept {}
  // Parked `task` was made ready by `by`: the running task, or an empty TaskRef for the loop
  // itself (a timer, a loop callback, an I/O completion).
  virtual void on_wake(const TaskRef& /*task*/, const TaskRef& /*by*/) noexcept {}
  // `task`'s body has ended (returned, thrown or cancelled): it is done.
  virtual void on_exit(const TaskRef& /*task*/) noexcept {}
  // Around each look at the reactor (I/O, cross-thread calls, real-time timers); `blocking`: the
  // loop is idle and sleeps in it until something arrives.
  virtual void on_poll_begin(bool /*blocking*/) noexcept {}
  virtual void on_poll_end() noexcept {}
};

namespace detail {
// The out-of-line halves of the points, called only when an instrument is installed.
[[gnu::cold]] void note_spawn(Instrument& in, TaskBase& t,
                              const SpawnSite& site) noexcept;
[[gnu::cold]] void note_park(Instrument& in, TaskBase& t, const char* what,
                             const void* object) noexcept;
[[gnu::cold]] void note_wake(Instrument& in, TaskBase& t, TaskBase* by) noexcept;
[[gnu::cold]] void note_exit(Instrument& in, TaskBase& t) noexcept;
}  // namespace detail

}  // namespace spindle
