#include "io/buffered_stream.hpp"

#include <algorithm>

#include "scheduler/clock.hpp"

namespace spindle::detail {

void stamp_activity(TimePoint& stamp) { stamp = now(); }

boost::asio::mutable_buffer ReadBuffer::prepare(std::size_t min) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (capacity_ - end_ < min) {
    const std::size_t used = end_ - begin_;
    if (capacity_ - used >= min && begin_ >= used) {  // compacting is enough (and cheap)
      std::memcpy(data_.get(), data_.get() + begin_, used);
    } else {
      const std::size_t cap = std::max(capacity_ * 2, used + min);
      auto grown = std::make_unique_for_overwrite<char[]>(cap);
      if (used) std::memcpy(grown.get(), data_.get() + begin_, used);
      data_ = std::move(grown);
      capacity_ = cap;
    }
    begin_ = 0;
    end_ = used;
  }
  return {data_.get() + end_, capacity_ - end_};
}

std::string ReadBuffer::take(std::size_t n) {
  std::string out(data_.get() + begin_, n);
  begin_ += n;
  return out;
}

}  // namespace spindle::detail
