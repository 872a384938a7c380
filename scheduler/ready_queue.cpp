#include "scheduler/detail/ready_queue.hpp"

#include "scheduler/detail/shuffler.hpp"

namespace spindle::detail {

void ReadyQueue::start_batch(Shuffler& s) {
  std::vector<Runnable*>& batch = s.scratch;
  batch.clear();
  for (Runnable* r = head_; r; r = r->next_ready) batch.push_back(r);
  s.shuffle(batch);
  head_ = tail_ = nullptr;
  for (Runnable* r : batch) {
    r->next_ready = nullptr;
    if (tail_) tail_->next_ready = r; else head_ = r;
    tail_ = r;
  }
  batch_left_ = batch.size();
}

}  // namespace spindle::detail
