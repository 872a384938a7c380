#include "sync/event.hpp"

#include "scheduler/lowlevel.hpp"

namespace spindle {

void Event::set() {
  if (set_) return;
  set_ = true;
  waiters_.wake_all();
}

void Event::wait() {
  lowlevel::checkpoint_if_cancelled("Event::wait");
  if (set_) return;
  Waiter w("Event.wait");
  waiters_.wait(w);
}

}  // namespace spindle
