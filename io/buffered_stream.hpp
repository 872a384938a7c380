#pragma once
// BufferedStream<S>: blocking-looking buffered reads and writes over an Asio byte stream (TCP and
// Unix sockets, pipes). Every call parks only the calling fiber.
//
// Sockets are in non-blocking mode: a write that fits in the socket buffer, or a read that finds
// data, costs one system call and no switch; only "would block" parks the fiber (see read_once for
// how a read that will likely wait avoids the failed attempt). Every call is a cancellation point, and 32
// calls in a row that never parked yield once, so a connection that always has data (a buffered
// reader, a fast writer) cannot starve the others.
//
// BufferedStream is also an Asio SyncReadStream/SyncWriteStream, so asio::read/write and Boost.Beast's
// synchronous http::read/write work on it from a fiber (parking, never blocking the thread).
//
// End of stream is a normal return: read_some → 0 (the error_code form says eof, as Asio wants), read_until/read_line → what was left (maybe
// empty); read_exactly → IncompleteReadError with the partial bytes. A cancelled or failed
// write_all may have written part of its bytes. One reader and one writer fiber at a time.
//
// track_activity(stamp): from then on every read or write that moves bytes on the stream stores
// the loop's time in *stamp (a server's idle timeout reads it; one clock read per such call).
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <cstddef>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "io/errors.hpp"
#include "io/use_fiber.hpp"
#include "scheduler/sleep.hpp"

namespace spindle {

namespace detail {
// A cancellation point for I/O calls that complete without parking; every 32nd in a row yields.
void io_checkpoint();
// *stamp = now(), out of line: only streams that track activity call it.
void stamp_activity(TimePoint& stamp);

template <class S>
concept PollableStream = requires(S s, boost::system::error_code ec) {
  s.non_blocking(true);
  s.async_wait(S::wait_read, use_fiber);
};

// A stream whose own read_some/write_some park the fiber (testing::stream_pair's ends) instead of
// going through Asio's reactor.
template <class S>
concept SelfParkingStream = S::parks_fiber;

// The read buffer: unread bytes are [begin, end) of one growable block.
class ReadBuffer {
 public:
  std::string_view unread() const { return {data_.get() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  // Room for at least `min` more bytes at the end (compacting or growing).
  boost::asio::mutable_buffer prepare(std::size_t min);
  void commit(std::size_t n) { end_ += n; }
  std::string take(std::size_t n);
  template <class MutableBuffers>
  std::size_t take_into(const MutableBuffers& out) {
    const std::size_t n = boost::asio::buffer_copy(out, boost::asio::const_buffer(data_.get() + begin_, size()));
    begin_ += n;
    return n;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0, begin_ = 0, end_ = 0;
};
}  // namespace detail

template <class Stream>
class BufferedStream {
 public:
  static constexpr std::size_t kDefaultLimit = 64 * 1024;  // asyncio's StreamReader limit

  explicit BufferedStream(Stream s) : stream_(std::move(s)) {
    if constexpr (detail::PollableStream<Stream>) {
      if (stream_.is_open()) stream_.non_blocking(true);
    }
  }

  // Up to buffer_size(out) bytes: what is buffered, else one read. 0 only at end of stream.
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& out) {
    boost::system::error_code ec;
    const std::size_t n = read_some(out, ec);
    if (ec && ec != boost::asio::error::eof) detail::throw_io_error(ec, "read");
    return n;
  }
  // Asio's SyncReadStream form (so asio::read and Boost.Beast's http::read work on this stream
  // from a fiber): end of stream is ec = eof, as Asio requires.
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& out, boost::system::error_code& ec) {
    ec.clear();
    if (buf_.size() > 0) {
      detail::io_checkpoint();
      return buf_.take_into(out);
    }
    return read_once(out, ec);
  }
  // SyncWriteStream: one write (parking until the socket takes at least one byte).
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& in, boost::system::error_code& ec) {
    detail::io_checkpoint();
    return write_once(in, ec);
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& in) {
    boost::system::error_code ec;
    const std::size_t n = write_some(in, ec);
    if (ec) detail::throw_io_error(ec, "write");
    return n;
  }
  // Exactly n bytes; end of stream first → IncompleteReadError (partial() has what came).
  std::string read_exactly(std::size_t n) {
    while (buf_.size() < n) {
      if (!fill()) throw IncompleteReadError(buf_.take(buf_.size()), n);
    }
    if (n == 0) detail::io_checkpoint();
    return buf_.take(n);
  }
  // Up to and including `delim`; at end of stream, what was left. More than `limit` bytes without
  // `delim` → LimitOverrunError (the bytes stay buffered).
  std::string read_until(std::string_view delim, std::size_t limit = kDefaultLimit) {
    if (delim.empty()) throw std::invalid_argument("read_until: delim must not be empty");
    std::size_t scanned = 0;
    for (;;) {
      std::string_view data = buf_.unread();
      if (auto pos = data.find(delim, scanned); pos != std::string_view::npos) {
        if (pos + delim.size() > limit) throw LimitOverrunError(limit, data.size());
        if (scanned == 0) detail::io_checkpoint();
        return buf_.take(pos + delim.size());
      }
      if (data.size() > limit) throw LimitOverrunError(limit, data.size());
      scanned = data.size() >= delim.size() ? data.size() - delim.size() + 1 : 0;
      if (!fill()) return buf_.take(buf_.size());
    }
  }
  std::string read_line(std::size_t limit = kDefaultLimit) { return read_until("\n", limit); }

  void write_all(std::string_view bytes) { write_all(boost::asio::buffer(bytes)); }
  void write_all(boost::asio::const_buffer bytes) {
    detail::io_checkpoint();
    while (bytes.size() > 0) {
      boost::system::error_code ec;
      bytes += write_once(bytes, ec);
      if (ec) detail::throw_io_error(ec, "write");
    }
  }

  void track_activity(std::shared_ptr<TimePoint> stamp) { activity_ = std::move(stamp); }

  std::size_t buffered() const { return buf_.size(); }
  Stream& stream() { return stream_; }
  bool is_open() const { return stream_.is_open(); }
  // Closes now; a fiber parked on this stream resumes with operation_aborted. Never throws.
  void close() noexcept {
    boost::system::error_code ignored;
    stream_.close(ignored);
  }

 protected:
  // One read into `out`, parking until data or end of stream (ec = eof, 0 bytes). A socket is read
  // at once, without parking, unless the last read drained it (returned less than it asked for):
  // then the next read very likely has to wait. Such a read first yields, so that the fibers
  // already ready run before it (as Asio's own completions would: a callback server starts its
  // next read from a queued completion) and the peer's data has time to arrive; then it goes to
  // Asio's reactor, whose one speculative read either finds the data or queues the read without
  // an epoll_ctl (a readiness wait would re-arm epoll every time). Measured with 100 echo
  // connections: the yield took failed reads from ~0.3 to ~0 per message and server CPU from
  // 1.08x to 1.00x raw Asio. After end of stream or an error the socket is asked again directly:
  // its edge-triggered event is spent.
  template <class MutableBuffers>
  std::size_t read_once(const MutableBuffers& out, boost::system::error_code& ec) {
    if constexpr (detail::SelfParkingStream<Stream>) {
      detail::io_checkpoint();
      return moved(stream_.read_some(out, ec));
    } else {
      std::size_t n;
      if constexpr (detail::PollableStream<Stream>) {
        if (!drained_) {
          detail::io_checkpoint();
          n = stream_.read_some(out, ec);
          if (ec != boost::asio::error::would_block) {
            drained_ = !ec && n < boost::asio::buffer_size(out);
            return moved(n);
          }
        }
        yield_now();  // also the cancellation point
      }
      n = stream_.async_read_some(out, use_fiber[ec].named("read"));
      drained_ = !ec && n < boost::asio::buffer_size(out);
      return moved(n);
    }
  }

  // One write of at least one byte, parking while the stream cannot take any.
  template <class ConstBuffers>
  std::size_t write_once(const ConstBuffers& in, boost::system::error_code& ec) {
    if constexpr (detail::PollableStream<Stream>) {
      for (;;) {
        const std::size_t n = stream_.write_some(in, ec);
        if (ec != boost::asio::error::would_block) return moved(n);
        stream_.async_wait(Stream::wait_write, use_fiber.named("write"));
      }
    } else if constexpr (detail::SelfParkingStream<Stream>) {
      return moved(stream_.write_some(in, ec));
    } else {
      return moved(stream_.async_write_some(in, use_fiber[ec].named("write")));
    }
  }
  // A read or write moved n bytes: stamps the activity (if tracked), returns n.
  std::size_t moved(std::size_t n) {
    if (activity_ && n > 0) [[unlikely]] detail::stamp_activity(*activity_);
    return n;
  }
  // Appends one read to the buffer; false at end of stream.
  bool fill() {
    boost::system::error_code ec;
    const std::size_t n = read_once(buf_.prepare(4096), ec);
    if (ec && ec != boost::asio::error::eof) detail::throw_io_error(ec, "read");
    buf_.commit(n);
    return n > 0;
  }

  Stream stream_;
  detail::ReadBuffer buf_;
  bool drained_ = false;  // the last read got less than it asked for: the next one likely waits
  std::shared_ptr<TimePoint> activity_;  // see track_activity
};

}  // namespace spindle
