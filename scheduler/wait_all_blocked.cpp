// testing::wait_all_blocked (declared in spindle/testing.hpp): the loop wakes one such waiter each
// time it finds nothing ready, before it jumps the virtual clock or sleeps in the reactor
// (Loop::drive).
#include "scheduler/loop.hpp"
#include "scheduler/lowlevel.hpp"
#include "scheduler/wait_all_blocked.hpp"

namespace spindle::testing {

void wait_all_blocked() {
  lowlevel::current_task("testing::wait_all_blocked");  // a fiber's call; park checks cancellation
  Waiter w("testing::wait_all_blocked");
  lowlevel::running_loop().all_blocked_.wait(w);
}

}  // namespace spindle::testing
