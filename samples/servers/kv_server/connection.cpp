#include "connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/system/system_error.hpp>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>

#include "commands.hpp"
#include "resp.hpp"
#include "scheduler/timeout.hpp"

namespace kv {

namespace {

constexpr std::size_t kInitialBuffer = 16 * 1024;
constexpr std::size_t kMinRead = 4 * 1024;          // free space wanted before each read
constexpr std::size_t kFlushThreshold = 64 * 1024;  // write mid-batch once this much is pending

// The read buffer: bytes [begin, end) are received and not yet consumed by the parser. Its block
// comes from malloc and grows with realloc, never zero-filled: the untouched part of a large block
// is not resident, and glibc grows a large (mmap'ed) block with mremap, without a copy.
class InputBuffer {
 public:
  InputBuffer() : data_(allocate(nullptr, kInitialBuffer)), capacity_(kInitialBuffer) {}

  std::string_view pending() const { return {data_.get() + begin_, end_ - begin_}; }
  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Free space for the next read: moves the pending bytes to the front, or grows (by doubling,
  // so a large command costs O(size) copying), only when fewer than kMinRead bytes are free.
  boost::asio::mutable_buffer prepare() {
    if (capacity_ - end_ < kMinRead) {
      std::size_t n = end_ - begin_;
      if (begin_ > 0) {
        std::memmove(data_.get(), data_.get() + begin_, n);
        begin_ = 0;
        end_ = n;
      }
      if (capacity_ - end_ < kMinRead) {
        data_.reset(allocate(data_.release(), capacity_ * 2));
        capacity_ *= 2;
      }
    }
    return boost::asio::buffer(data_.get() + end_, capacity_ - end_);
  }
  void commit(std::size_t n) { end_ += n; }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  // realloc(old, size); on failure `old` is freed and std::bad_alloc thrown.
  static char* allocate(char* old, std::size_t size) {
    void* p = std::realloc(old, size);
    if (!p) {
      std::free(old);
      throw std::bad_alloc();
    }
    return static_cast<char*>(p);
  }

  std::unique_ptr<char, Free> data_;
  std::size_t capacity_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

enum class End {
  peer_closed,  // EOF: the client closed its side
  replied,      // QUIT or a protocol error, whose reply is written: say FIN
  over_limit,   // an unfinished command past the query buffer limit: just close
};

// Reads and runs commands until the connection ends; `idle` is moved on each completed command.
template <class Stream>
End serve_requests(Stream& stream, Store& store, const ConnectionOptions& options,
                   spindle::Timeout& idle) {
  InputBuffer in;
  RequestParser parser;
  std::string out;
  out.reserve(kInitialBuffer);
  for (;;) {
    std::size_t n = stream.read_some(in.prepare());
    if (n == 0) return End::peer_closed;
    in.commit(n);
    bool closing = false;
    bool ran_command = false;
    for (;;) {
      ParseResult r = parser.parse(in.pending());
      if (r.status == ParseStatus::error) {
        resp::error(out, parser.error());
        closing = true;
        break;
      }
      // The arguments point into `in`: run the command before the bytes are consumed.
      if (r.status == ParseStatus::command) {
        ran_command = true;
        if (execute(store, parser.args(), out) == After::close) closing = true;
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
    if (closing) return End::replied;
    // What is left is one unfinished command.
    if (in.pending().size() > options.query_buffer_limit) return End::over_limit;
    if (ran_command && idle.when()) idle.reschedule(spindle::now() + options.idle_timeout);
  }
}

}  // namespace

template <class Stream>
void serve_connection(Stream stream, Store& store, const ConnectionOptions& options) {
  try {
    if constexpr (requires { stream.set_nodelay(); }) stream.set_nodelay();  // TCP only
    std::optional<spindle::TimePoint> idle_deadline;
    if (options.idle_timeout.count() > 0) idle_deadline = spindle::now() + options.idle_timeout;
    // An empty result: the idle deadline passed; the connection is closed as it is.
    auto end = spindle::move_on_at(idle_deadline, [&](spindle::Timeout& idle) {
      return serve_requests(stream, store, options, idle);
    });
    // A FIN after the last reply, so the client reads it before seeing the end of the stream.
    if (end && *end != End::over_limit) stream.shutdown_write();
  } catch (const boost::system::system_error&) {
    // Reset by the peer, or a write to a closed connection: this connection is over, no one else's.
  }
}

template void serve_connection(spindle::TcpStream, Store&, const ConnectionOptions&);
template void serve_connection(spindle::MemoryStream, Store&, const ConnectionOptions&);

}  // namespace kv
