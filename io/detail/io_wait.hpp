#pragma once
// The machinery under use_fiber: one Asio operation awaited by one parked fiber.
//
// IoWait lives on the fiber's stack and parks the fiber on its Waiter. The completion handler does
// not point at it directly but at an IoSlot (heap, recycled through a per-thread free list, so no
// allocation per operation once warm): if the fiber leaves before the operation completes (forced
// unwind at run() end), IoWait detaches the slot and cancels the operation, and the late completion
// finds nobody to deliver to. The slot also owns the cancellation_signal bound to the operation,
// which must outlive the operation, not the fiber, and the memory Asio allocates for the operation
// (SlotAllocator): Asio's own per-thread cache holds only two blocks, so with many operations
// outstanding each one would otherwise cost a malloc and a free.
#include <boost/asio/cancellation_signal.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <new>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "scheduler/lowlevel.hpp"

namespace spindle::detail {

class IoWaitBase;

struct IoSlot {
  IoWaitBase* target = nullptr;  // null once the waiting fiber has gone
  boost::asio::cancellation_signal signal;
  IoSlot* next_free = nullptr;
  // Room for one Asio operation (a socket read with its handler takes about 150 bytes); Asio frees
  // it before calling the handler, so it is free again before the slot is released.
  bool op_memory_used = false;
  alignas(std::max_align_t) unsigned char op_memory[256];
};

// The FiberHandler's associated allocator: the slot's op_memory when it fits and is free (a
// composed operation may hold two at once), else the heap.
template <class T>
struct SlotAllocator {
  using value_type = T;
  IoSlot* slot;

  explicit SlotAllocator(IoSlot* s) noexcept : slot(s) {}
  template <class U>
  SlotAllocator(const SlotAllocator<U>& o) noexcept : slot(o.slot) {}

  T* allocate(std::size_t n) {
    if (!slot->op_memory_used && n * sizeof(T) <= sizeof(slot->op_memory) &&
        alignof(T) <= alignof(std::max_align_t)) {
      slot->op_memory_used = true;
      return reinterpret_cast<T*>(slot->op_memory);
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (reinterpret_cast<unsigned char*>(p) == slot->op_memory) {
      slot->op_memory_used = false;
    } else {
      ::operator delete(p, n * sizeof(T));
    }
  }
  template <class U>
  bool operator==(const SlotAllocator<U>& o) const noexcept { return slot == o.slot; }
};

IoSlot* acquire_io_slot();
void release_io_slot(IoSlot* s) noexcept;

class IoWaitBase {
 public:
  explicit IoWaitBase(const char* what);
  ~IoWaitBase();
  IoWaitBase(const IoWaitBase&) = delete;
  IoWaitBase& operator=(const IoWaitBase&) = delete;

  IoSlot* slot() const { return slot_; }
  // Parks until the operation completes. Cancellation (a cancelled scope, a deadline) cancels the
  // operation through its cancellation slot and keeps waiting for its completion, so the operation
  // never outlives the buffers it was given. Throws CancelledError if the operation then ended as
  // operation_aborted; a completion that won the race is returned normally (the cancellation is
  // raised at the next checkpoint: nothing already read or written is lost).
  void wait();
  // Called by the handler, on the loop thread.
  void completed() noexcept;
  // The handler was destroyed without being called (its io_context shut down).
  void abandoned() noexcept;
  // Throws CancelledError if cancellation cut the operation short (`ec` is its error).
  void throw_if_cancelled(const boost::system::error_code& ec) const;
  bool was_abandoned() const { return abandoned_; }

 private:
  static void on_cancel(Waiter& w);
  void detach() noexcept;

  Waiter waiter_;
  IoSlot* slot_;
  lowlevel::Outstanding pending_;  // held from the start until the operation ends
  bool cancel_requested_ = false;
  bool abandoned_ = false;
};

// What the operation passed to its handler, kept until the fiber resumes.
template <class... Args>
class IoWait : public IoWaitBase {
 public:
  using IoWaitBase::IoWaitBase;
  void deliver(Args... args) {
    result_.emplace(std::move(args)...);
    completed();
  }
  std::tuple<Args...>& result() { return *result_; }

 private:
  std::optional<std::tuple<Args...>> result_;
};

// The completion handler given to the Asio initiating function (Args: the signature's decayed
// argument types). Move-only; owns its slot until it is called or destroyed.
template <class... Args>
class FiberHandler {
 public:
  explicit FiberHandler(IoSlot* s) noexcept : slot_(s) {}
  FiberHandler(FiberHandler&& o) noexcept : slot_(std::exchange(o.slot_, nullptr)) {}
  FiberHandler& operator=(FiberHandler&&) = delete;
  ~FiberHandler() {
    if (!slot_) return;
    if (slot_->target) slot_->target->abandoned();
    release_io_slot(slot_);
  }

  void operator()(Args... args) {
    IoSlot* s = std::exchange(slot_, nullptr);
    if (s->target) static_cast<IoWait<Args...>*>(s->target)->deliver(std::move(args)...);
    release_io_slot(s);
  }

  using cancellation_slot_type = boost::asio::cancellation_slot;
  cancellation_slot_type get_cancellation_slot() const noexcept { return slot_->signal.slot(); }
  using allocator_type = SlotAllocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(slot_); }

 private:
  IoSlot* slot_;
};

}  // namespace spindle::detail
