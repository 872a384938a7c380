#pragma once
// spindle's testing toolkit (not included by spindle.hpp): the virtual clock for tests, waiting
// until every other fiber is parked, seeded schedules that look for ordering bugs, and in-memory
// streams for testing servers and clients without sockets. See README "Testing your code".
//
//   testing::run_virtual(f, args...)   run(f) on the virtual clock (Trio's autojump clock, Go's
//                                      synctest): time jumps whenever every fiber waits durably
//   testing::wait_all_blocked()        parks until every other fiber is parked and nothing is
//                                      ready (Trio's wait_all_tasks_blocked, synctest.Wait)
//   testing::explore(f, {.runs = N})   f under N seeded random schedules (Schedule::random)
//   testing::stream_pair()             two connected MemoryStreams (io/memory_stream.hpp)
//
// Durable waits (Go's rule): waits on spindle's primitives, joins, sleeps and stream_pair streams
// are durable; a wait on a real socket, pipe, process or thread is not. Under the virtual clock,
// time jumps to the next timer once every fiber waits durably; with no timer either, run() throws
// DeadlockError with every parked fiber and what it waits on, instead of hanging.
#include <utility>

#include "io/memory_stream.hpp"
#include "scheduler/explore.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/wait_all_blocked.hpp"

namespace spindle::testing {

// run() with RunOptions{.clock = ClockKind::virtual_time}.
template <class F, class... Args>
auto run_virtual(F&& f, Args&&... args) {
  return spindle::run(RunOptions{.clock = ClockKind::virtual_time}, std::forward<F>(f),
                      std::forward<Args>(args)...);
}

}  // namespace spindle::testing
