#pragma once
// The loop's one FIFO of runnable things: fibers to resume and callbacks to call, in order.

namespace spindle::detail {

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

 private:
  Runnable* head_ = nullptr;
  Runnable* tail_ = nullptr;
};

}  // namespace spindle::detail
