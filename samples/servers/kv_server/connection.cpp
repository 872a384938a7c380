#include "connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/system/system_error.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "commands.hpp"
#include "resp.hpp"

namespace kv {

namespace {

constexpr std::size_t kInitialBuffer = 16 * 1024;
constexpr std::size_t kMinRead = 4 * 1024;          // free space wanted before each read
constexpr std::size_t kFlushThreshold = 64 * 1024;  // write mid-batch once this much is pending

// The read buffer: bytes [begin, end) are received and not yet consumed by the parser.
class InputBuffer {
 public:
  InputBuffer() : data_(kInitialBuffer) {}

  std::string_view pending() const { return {data_.data() + begin_, end_ - begin_}; }
  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Free space for the next read: moves the pending bytes to the front, or grows (by doubling,
  // so a large command costs O(size) copying), only when fewer than kMinRead bytes are free.
  boost::asio::mutable_buffer prepare() {
    if (data_.size() - end_ < kMinRead) {
      std::size_t n = end_ - begin_;
      if (begin_ > 0) {
        std::memmove(data_.data(), data_.data() + begin_, n);
        begin_ = 0;
        end_ = n;
      }
      if (data_.size() - end_ < kMinRead) data_.resize(data_.size() * 2);
    }
    return boost::asio::buffer(data_.data() + end_, data_.size() - end_);
  }
  void commit(std::size_t n) { end_ += n; }

 private:
  std::vector<char> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace

void serve_connection(spindle::TcpStream stream, Store& store) {
  try {
    stream.set_nodelay();
    InputBuffer in;
    RequestParser parser;
    std::string out;
    out.reserve(kInitialBuffer);
    bool closing = false;
    while (!closing) {
      std::size_t n = stream.read_some(in.prepare());
      if (n == 0) break;  // the client closed its side
      in.commit(n);
      for (;;) {
        ParseResult r = parser.parse(in.pending());
        if (r.status == ParseStatus::error) {
          resp::error(out, parser.error());
          closing = true;
          break;
        }
        // The arguments point into `in`: run the command before the bytes are consumed.
        if (r.status == ParseStatus::command && execute(store, parser.args(), out) == After::close) {
          closing = true;
        }
        in.consume(r.consumed);
        if (r.status == ParseStatus::incomplete || closing) break;
        if (out.size() >= kFlushThreshold) {
          stream.write_all(out);
          out.clear();
        }
      }
      if (!out.empty()) {
        stream.write_all(out);
        out.clear();
      }
    }
    // A FIN after the last reply, so the client reads it before seeing the end of the stream.
    stream.shutdown_write();
  } catch (const boost::system::system_error&) {
    // Reset by the peer, or a write to a closed connection: this connection is over, no one else's.
  }
}

}  // namespace kv
