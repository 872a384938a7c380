#pragma once
// The loop's timers: an intrusive binary min-heap ordered by (deadline, arming order). Nodes live
// in their owners (a parked fiber's stack, a cancel scope, a callback) and know their heap slot, so
// disarming is O(log n) in general and O(1) for the common case of a timeout that never fired and
// is still the newest, deepest node. A node armed for TimePoint::max() ("never") stays out of the
// heap: it can never be due, and the virtual clock must not jump to it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "scheduler/clock.hpp"

namespace spindle::detail {

struct TimerNode {
  static constexpr std::size_t kNotArmed = static_cast<std::size_t>(-1);
  using FireFn = void (*)(TimerNode&);

  explicit TimerNode(FireFn f, void* owner = nullptr) : fire(f), context(owner) {}
  TimerNode(const TimerNode&) = delete;
  TimerNode& operator=(const TimerNode&) = delete;
  bool armed() const { return index != kNotArmed; }

  TimePoint deadline{};
  std::uint64_t seq = 0;
  std::size_t index = kNotArmed;
  FireFn fire;  // called by the loop when due; it only makes things ready, it never blocks
  void* context;
};

class TimerHeap {
 public:
  void arm(TimerNode& n, TimePoint deadline);
  void disarm(TimerNode& n) noexcept;
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  TimePoint earliest() const { return heap_.front()->deadline; }
  // Pops the earliest node if it is due at `now`, or returns nullptr.
  TimerNode* pop_due(TimePoint now) noexcept;

 private:
  static bool before(const TimerNode* a, const TimerNode* b) {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
  }
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void place(std::size_t i, TimerNode* n) noexcept {
    heap_[i] = n;
    n->index = i;
  }

  std::vector<TimerNode*> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace spindle::detail
