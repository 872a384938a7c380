#include "io/memory_stream.hpp"

#include <boost/asio/error.hpp>
#include <cstring>
#include <string>

#include "scheduler/wait_queue.hpp"

namespace spindle::detail {

// Bytes going one way: written by one end, read by the other.
struct MemoryDirection {
  std::string bytes;       // unread: [begin, size)
  std::size_t begin = 0;
  bool writer_done = false;  // the writing end shut down or closed: eof after the bytes
  bool reader_gone = false;  // the reading end closed: writes fail with broken_pipe
  WaitQueue readers{"stream_pair read"};
  WaitQueue writers{"stream_pair write"};

  std::size_t size() const { return bytes.size() - begin; }
};

struct MemoryPipe {
  MemoryDirection to[2];  // to[k]: what end k reads
};

MemoryPipeEnd& MemoryPipeEnd::operator=(MemoryPipeEnd&& o) noexcept {
  if (this != &o) {
    boost::system::error_code ignored;
    close(ignored);
    pipe_ = std::move(o.pipe_);
    side_ = o.side_;
  }
  return *this;
}

MemoryPipeEnd::~MemoryPipeEnd() {
  boost::system::error_code ignored;
  close(ignored);
}

bool MemoryPipeEnd::park_on(WaitQueue& q, const char* what, boost::system::error_code& ec) {
  std::shared_ptr<MemoryPipe> keep = pipe_;  // close() from another fiber drops ours
  Waiter w(what);
  q.wait(w);
  if (pipe_) return true;
  ec = boost::asio::error::operation_aborted;
  return false;
}

std::size_t MemoryPipeEnd::read(boost::asio::mutable_buffer out, boost::system::error_code& ec) {
  ec.clear();
  for (;;) {
    if (!pipe_) {
      ec = boost::asio::error::bad_descriptor;
      return 0;
    }
    MemoryDirection& d = pipe_->to[side_];
    if (out.size() == 0) return 0;
    if (d.size() > 0) {
      const std::size_t n = std::min(out.size(), d.size());
      std::memcpy(out.data(), d.bytes.data() + d.begin, n);
      d.begin += n;
      if (d.begin == d.bytes.size()) {
        d.bytes.clear();
        d.begin = 0;
      }
      d.writers.wake_all();
      return n;
    }
    if (d.writer_done) {
      ec = boost::asio::error::eof;
      return 0;
    }
    if (!park_on(d.readers, "stream_pair read", ec)) return 0;
  }
}

std::size_t MemoryPipeEnd::write(boost::asio::const_buffer in, boost::system::error_code& ec) {
  ec.clear();
  for (;;) {
    if (!pipe_) {
      ec = boost::asio::error::bad_descriptor;
      return 0;
    }
    MemoryDirection& d = pipe_->to[1 - side_];
    if (d.reader_gone) {
      ec = boost::asio::error::broken_pipe;
      return 0;
    }
    if (in.size() == 0) return 0;
    if (d.size() < kMemoryPipeCapacity) {
      const std::size_t n = std::min(in.size(), kMemoryPipeCapacity - d.size());
      d.bytes.append(static_cast<const char*>(in.data()), n);
      d.readers.wake_all();
      return n;
    }
    if (!park_on(d.writers, "stream_pair write", ec)) return 0;
  }
}

void MemoryPipeEnd::shutdown_write() noexcept {
  if (!pipe_) return;
  MemoryDirection& out = pipe_->to[1 - side_];
  out.writer_done = true;
  out.readers.wake_all();
}

void MemoryPipeEnd::close(boost::system::error_code& ec) noexcept {
  ec.clear();
  if (!pipe_) return;
  std::shared_ptr<MemoryPipe> pipe = std::move(pipe_);
  MemoryDirection& in = pipe->to[side_];
  MemoryDirection& out = pipe->to[1 - side_];
  in.reader_gone = true;
  in.bytes.clear();
  in.begin = 0;
  out.writer_done = true;
  // Our own parked calls (operation_aborted) and the peer's (eof, broken_pipe).
  in.readers.wake_all();
  in.writers.wake_all();
  out.readers.wake_all();
  out.writers.wake_all();
}

}  // namespace spindle::detail

namespace spindle::testing {

std::pair<MemoryStream, MemoryStream> stream_pair() {
  auto pipe = std::make_shared<detail::MemoryPipe>();
  return {MemoryStream(detail::MemoryPipeEnd(pipe, 0)), MemoryStream(detail::MemoryPipeEnd(pipe, 1))};
}

}  // namespace spindle::testing
