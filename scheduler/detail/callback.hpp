#pragma once
// A plain callback queued on the loop (call_soon/call_later/call_at), shared with its TimerHandle.
#include <functional>

#include "scheduler/detail/ready_queue.hpp"
#include "scheduler/detail/timer_heap.hpp"

namespace spindle {
class Loop;
}

namespace spindle::detail {

struct Callback : Runnable {
  Callback(Loop* l, std::function<void()> f)
      : Runnable(Kind::callback), loop(l), fn(std::move(f)), timer(&Callback::on_due, this) {}
  static void on_due(TimerNode& t);  // a call_later callback becomes ready when due

  void add_ref() noexcept { ++refs; }
  void release() noexcept {
    if (--refs == 0) delete this;
  }

  Loop* loop;
  std::function<void()> fn;
  TimerNode timer;
  unsigned refs = 1;
  bool cancelled = false;
  bool has_deadline = false;
};

}  // namespace spindle::detail
