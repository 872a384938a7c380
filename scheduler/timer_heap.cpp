#include "scheduler/detail/timer_heap.hpp"

namespace spindle::detail {

void TimerHeap::arm(TimerNode& n, TimePoint deadline) {
  if (n.armed()) disarm(n);
  n.deadline = deadline;
  if (deadline == TimePoint::max()) return;  // never due
  n.seq = next_seq_++;
  heap_.push_back(&n);
  n.index = heap_.size() - 1;
  sift_up(n.index);
}

void TimerHeap::disarm(TimerNode& n) noexcept {
  if (!n.armed()) return;
  const std::size_t i = n.index;
  n.index = TimerNode::kNotArmed;
  TimerNode* last = heap_.back();
  heap_.pop_back();
  if (last == &n) return;  // it was the last slot: the common never-fired timeout
  place(i, last);
  if (i > 0 && before(last, heap_[(i - 1) / 2])) sift_up(i); else sift_down(i);
}

TimerNode* TimerHeap::pop_due(TimePoint now) noexcept {
  if (heap_.empty() || heap_.front()->deadline > now) return nullptr;
  TimerNode* n = heap_.front();
  disarm(*n);
  return n;
}

void TimerHeap::sift_up(std::size_t i) noexcept {
  TimerNode* n = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!before(n, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, n);
}

void TimerHeap::sift_down(std::size_t i) noexcept {
  TimerNode* n = heap_[i];
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], n)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, n);
}

}  // namespace spindle::detail
