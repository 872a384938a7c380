#pragma once
// stream_pair(): two connected in-memory streams (Go's net.Pipe, with buffers), for testing servers
// and clients without sockets. MemoryStream has TcpStream's reading and writing API (it is a
// BufferedStream, so also an Asio SyncReadStream/SyncWriteStream: Beast's sync http::read/write
// work on it), including the half-close shutdown_write().
//
// Each direction buffers up to kMemoryPipeCapacity bytes; a write parks while the peer's buffer is
// full, a read while it is empty. These waits are on spindle's own wait queues, not the reactor:
// they are durable, so the virtual clock jumps through them, and fibers stuck on them end in a
// DeadlockError, not a hang. Both streams belong to the loop whose fibers use them.
//
// As with a socket: the peer's shutdown_write() or close → end of stream after what it wrote;
// writing after the peer closed → broken_pipe; close() wakes this stream's own parked calls with
// operation_aborted; any call on a closed stream → bad_descriptor.
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>
#include <utility>

#include "io/buffered_stream.hpp"

namespace spindle {

class WaitQueue;

inline constexpr std::size_t kMemoryPipeCapacity = 64 * 1024;  // per direction, like a socket's

namespace detail {
struct MemoryPipe;  // the shared state of one pair: both directions

// One end of the pair: the raw stream under MemoryStream. Its calls park the fiber themselves
// (BufferedStream's SelfParkingStream).
class MemoryPipeEnd {
 public:
  static constexpr bool parks_fiber = true;

  MemoryPipeEnd(std::shared_ptr<MemoryPipe> pipe, int side) : pipe_(std::move(pipe)), side_(side) {}
  MemoryPipeEnd(MemoryPipeEnd&&) noexcept = default;
  MemoryPipeEnd& operator=(MemoryPipeEnd&& o) noexcept;
  ~MemoryPipeEnd();

  // At least one byte (parking while none is buffered), or 0 with ec = eof once the peer stopped
  // writing and everything is read.
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& out, boost::system::error_code& ec) {
    return read(first_buffer<boost::asio::mutable_buffer>(out), ec);
  }
  // At least one byte, parking while the peer's buffer is full.
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& in, boost::system::error_code& ec) {
    return write(first_buffer<boost::asio::const_buffer>(in), ec);
  }
  void shutdown_write() noexcept;
  void close(boost::system::error_code& ec) noexcept;
  bool is_open() const noexcept { return pipe_ != nullptr; }

 private:
  // The first non-empty buffer of a sequence: one read or write may move less than asked.
  template <class Buffer, class Buffers>
  static Buffer first_buffer(const Buffers& bs) {
    for (auto it = boost::asio::buffer_sequence_begin(bs); it != boost::asio::buffer_sequence_end(bs); ++it) {
      Buffer b(*it);
      if (b.size() > 0) return b;
    }
    return Buffer();
  }
  std::size_t read(boost::asio::mutable_buffer out, boost::system::error_code& ec);
  std::size_t write(boost::asio::const_buffer in, boost::system::error_code& ec);
  // Parks on `q` until woken; false (ec = operation_aborted) if this end was closed meanwhile.
  bool park_on(WaitQueue& q, const char* what, boost::system::error_code& ec);

  std::shared_ptr<MemoryPipe> pipe_;
  int side_;  // 0 or 1: reads direction side_, writes direction 1 - side_
};
}  // namespace detail

class MemoryStream : public BufferedStream<detail::MemoryPipeEnd> {
 public:
  explicit MemoryStream(detail::MemoryPipeEnd end) : BufferedStream(std::move(end)) {}
  // The peer reads end of stream after what was written; this side can still read.
  void shutdown_write() { stream().shutdown_write(); }
};

namespace testing {
// Two connected in-memory streams: what one writes, the other reads.
std::pair<MemoryStream, MemoryStream> stream_pair();
}  // namespace testing

}  // namespace spindle
