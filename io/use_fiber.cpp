#include "io/use_fiber.hpp"

#include "scheduler/lowlevel.hpp"
#include "scheduler/sleep.hpp"

namespace spindle::detail {

namespace {
// Free slots of this thread. Slots are only touched on their loop's thread. After the list is
// destroyed at thread exit, a handler destroyed later (the thread's io_context going away) frees
// its slot directly.
struct IoSlotPool {
  IoSlot* head = nullptr;
  ~IoSlotPool() {
    while (head) delete std::exchange(head, head->next_free);
    t_closed = true;
  }
  static inline constinit thread_local bool t_closed = false;
};
thread_local IoSlotPool t_slots;

// I/O calls in a row on this thread that completed without parking.
constinit thread_local unsigned t_io_streak = 0;
constexpr unsigned kIoStreakBeforeYield = 32;
}  // namespace

void io_checkpoint() {
  if (++t_io_streak >= kIoStreakBeforeYield) {
    t_io_streak = 0;
    yield_now();  // also the cancellation point
    return;
  }
  lowlevel::checkpoint_if_cancelled("I/O");
}

namespace {
struct IgnoreCancel {
  void operator()(boost::asio::cancellation_type_t) const noexcept {}
};
}  // namespace

IoSlot* acquire_io_slot() {
  if (IoSlot* s = t_slots.head) {
    t_slots.head = s->next_free;
    return s;
  }
  return new IoSlot;
}

void release_io_slot(IoSlot* s) noexcept {
  s->target = nullptr;
  // Asio leaves the operation's cancellation handler installed after it completes; a stale one
  // would cancel by a descriptor that may be gone. It is replaced by one that does nothing rather
  // than cleared: clear() frees the handler's memory, which the next operation's handler reuses.
  if (s->signal.slot().has_handler()) s->signal.slot().emplace<IgnoreCancel>();
  if (IoSlotPool::t_closed) {
    delete s;
    return;
  }
  s->next_free = t_slots.head;
  t_slots.head = s;
}

IoWaitBase::IoWaitBase(const char* what) : waiter_(what) {
  lowlevel::checkpoint_if_cancelled("use_fiber");
  slot_ = acquire_io_slot();
  slot_->target = this;
  waiter_.slot = this;
  waiter_.on_cancel = &IoWaitBase::on_cancel;
  pending_ = lowlevel::Outstanding(lowlevel::running_loop());
}

IoWaitBase::~IoWaitBase() {
  if (!pending_.held()) return;
  // The fiber is leaving before its operation ended (forced unwind): the late completion must
  // find nobody, and the operation is cancelled so that it ends soon.
  detach();
  slot_->signal.emit(boost::asio::cancellation_type::terminal);
}

void IoWaitBase::detach() noexcept {
  pending_.release();
  slot_->target = nullptr;
}

void IoWaitBase::wait() {
  t_io_streak = 0;
  park(waiter_);  // only completed() wakes it: on_cancel leaves the waiter parked
}

void IoWaitBase::completed() noexcept {
  detach();
  wake(waiter_);
}

void IoWaitBase::abandoned() noexcept {
  abandoned_ = true;
  completed();
}

void IoWaitBase::on_cancel(Waiter& w) {
  auto& self = *static_cast<IoWaitBase*>(w.slot);
  if (self.cancel_requested_) return;
  self.cancel_requested_ = true;
  self.slot_->signal.emit(boost::asio::cancellation_type::terminal);
}

void IoWaitBase::throw_if_cancelled(const boost::system::error_code& ec) const {
  if (!cancel_requested_ || ec != boost::asio::error::operation_aborted) return;
  lowlevel::checkpoint_if_cancelled("use_fiber");
}

}  // namespace spindle::detail
