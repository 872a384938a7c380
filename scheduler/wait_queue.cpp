#include "scheduler/wait_queue.hpp"

#include <string>

#include "fibers/fatal.hpp"
#include "scheduler/detail/hot_path.hpp"
#include "scheduler/instrument.hpp"
#include "scheduler/lowlevel.hpp"

namespace spindle {

Waiter::Waiter(const char* what) noexcept : what_(what), timer_(&Waiter::on_deadline, this) {}

Waiter::~Waiter() {
  // Only reached linked when the fiber is unwound while parked (forced unwind at loop close).
  if (queue_) queue_->unlink(*this);
  if (timer_.armed() && task_) task_->loop->disarm(timer_);
}

void Waiter::on_deadline(detail::TimerNode& t) {
  wake(*static_cast<Waiter*>(t.context), WakeReason::timed_out);
}

SPINDLE_HOT_PATH WakeReason park(Waiter& w, std::optional<TimePoint> deadline) {
  detail::TaskBase& self = lowlevel::current_task("park");
  Loop& loop = *self.loop;
  if (const CancelScope* s = CancelScope::cancelled_from(self.scope)) [[unlikely]] {
    if (w.queue_) w.queue_->unlink(w);
    detail::throw_cancelled(s);
  }
  w.task_ = &self;
  if (w.reason_ != WakeReason::pending) return w.reason_;  // woken before it even parked
  if (self.lazy_deadlines) CancelScope::arm_lazy(self);
  if (deadline) loop.arm(w.timer_, *deadline);
  self.waiter = &w;
  self.parked_since = loop.cached_time();
  loop.suspend();  // an instrument hears of the park there (Loop::suspend_slow)
  self.waiter = nullptr;
  if (w.timer_.armed()) loop.disarm(w.timer_);
  if (w.reason_ == WakeReason::cancelled) [[unlikely]] {
    const CancelScope* s = CancelScope::cancelled_from(self.scope);
    detail::throw_cancelled(s);
  }
  return w.reason_;
}

SPINDLE_HOT_PATH void wake(Waiter& w, WakeReason reason) {
  if (w.reason_ != WakeReason::pending) return;
  if (w.queue_) w.queue_->unlink(w);
  w.reason_ = reason;
  if (!w.task_) return;
  Loop& loop = *w.task_->loop;
  loop.make_ready(*w.task_);
  if (Instrument* in = loop.instrument()) [[unlikely]] {
    detail::note_wake(*in, *w.task_, loop.current());
  }
}

WaitQueue::~WaitQueue() {
  if (head_) [[unlikely]] destroyed_with_waiters();
}

void WaitQueue::destroyed_with_waiters() const noexcept {
  std::string why = std::string(owner_) + " destroyed while " + std::to_string(size_) +
                    (size_ == 1 ? " fiber is" : " fibers are") + " parked on it:";
  for_each([&](const Waiter& w) {
    why += w.task_ ? " '" + w.task_->display_name() + "' (id " + std::to_string(w.task_->id) + ")"
                   : std::string(" (not parked yet)");
    why += std::string(" in ") + w.what_ + ";";
  });
  why.back() = '.';
  why += " Keep a primitive alive until every fiber waiting on it has been woken or has ended.";
  fibers::fatal(why);
}

WakeReason WaitQueue::wait(Waiter& w, std::optional<TimePoint> deadline) {
  push(w);
  return park(w, deadline);
}

void WaitQueue::push(Waiter& w) noexcept {
  w.queue_ = this;
  w.prev_ = tail_;
  w.next_ = nullptr;
  if (tail_) tail_->next_ = &w; else head_ = &w;
  tail_ = &w;
  ++size_;
}

void WaitQueue::unlink(Waiter& w) noexcept {
  if (w.queue_ != this) return;
  if (w.prev_) w.prev_->next_ = w.next_; else head_ = w.next_;
  if (w.next_) w.next_->prev_ = w.prev_; else tail_ = w.prev_;
  w.queue_ = nullptr;
  w.prev_ = w.next_ = nullptr;
  --size_;
}

bool WaitQueue::wake_one(WakeReason reason) {
  if (!head_) return false;
  wake(*head_, reason);
  return true;
}

std::size_t WaitQueue::wake_all(WakeReason reason) {
  std::size_t n = 0;
  while (head_) {
    wake(*head_, reason);
    ++n;
  }
  return n;
}

}  // namespace spindle
