#include "sync/event.hpp"

#include "scheduler/sleep.hpp"

namespace spindle {

void Event::set() {
  if (set_) return;
  set_ = true;
  waiters_.wake_all();
}

void Event::wait() {
  raise_if_cancelled();
  if (set_) return;
  Waiter w("Event.wait");
  waiters_.wait(w);
}

}  // namespace spindle
