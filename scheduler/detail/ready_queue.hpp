#pragma once
// The loop's one FIFO of runnable things: fibers to resume and callbacks to call, in order.
// Under Schedule::random the loop takes them through the *_shuffled calls instead (Trio's batches):
// what is queued when a batch begins is shuffled and runs before anything queued after it.
#include <cstddef>

namespace spindle::detail {

class Shuffler;

struct Runnable {
  enum class Kind : unsigned char { fiber, callback };
  explicit Runnable(Kind k) : kind(k) {}
  Runnable* next_ready = nullptr;
  Kind kind;
  bool queued = false;
};

class ReadyQueue {
 public:
  bool empty() const { return head_ == nullptr; }
  Runnable* front() const { return head_; }
  void push_back(Runnable* r) {
    r->next_ready = nullptr;
    r->queued = true;
    if (tail_) tail_->next_ready = r; else head_ = r;
    tail_ = r;
  }
  Runnable* pop_front() {
    Runnable* r = head_;
    head_ = r->next_ready;
    if (!head_) tail_ = nullptr;
    r->queued = false;
    return r;
  }

  Runnable* front_shuffled(Shuffler& s) {
    if (batch_left_ == 0) start_batch(s);
    return head_;
  }
  Runnable* pop_front_shuffled(Shuffler& s) {
    if (batch_left_ == 0) start_batch(s);
    if (batch_left_ > 0) --batch_left_;
    return pop_front();
  }
  void end_batch() { batch_left_ = 0; }

 private:
  Runnable* head_ = nullptr;
  Runnable* tail_ = nullptr;
  std::size_t batch_left_ = 0;  // Schedule::random: entries at the front still in the batch

  void start_batch(Shuffler& s);  // scheduler/ready_queue.cpp
};

}  // namespace spindle::detail
