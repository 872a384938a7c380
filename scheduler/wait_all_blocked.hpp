#pragma once
// testing::wait_all_blocked (spindle/testing.hpp).

namespace spindle::testing {

// Parks the calling fiber until every other fiber is parked and nothing is ready (no callback, no
// due timer, no I/O completion): the loop wakes it just before it would jump the virtual clock or
// sleep in the reactor. A fiber waiting on real I/O counts as parked. With several callers, one is
// woken per such moment, in the order they called. A cancellation point; outside a fiber →
// std::logic_error.
void wait_all_blocked();

}  // namespace spindle::testing
