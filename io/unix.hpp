#pragma once
// Unix-domain stream sockets: UnixStream (the same buffered blocking-looking reads and writes as
// TcpStream, see BufferedStream), open_unix_connection(path), and UnixListener (bind + accept).
//
// UnixListener::bind(path) replaces a stale socket file (a socket nobody listens on any more: a
// crashed server's leftover) but never a live socket or a file that is not a socket (both →
// system_error address_in_use: "bind /tmp/s.sock (a server listens on it): Address already in
// use"). It tells them apart by connecting to the socket file, so a live server sees one
// connection that ends at once. The listener unlinks its socket file on close() or destruction,
// unless the path has since been replaced by another file. A path starting with '\0' is a Linux
// abstract socket: no file, nothing to remove. Errors name the path.
#include <boost/asio/local/stream_protocol.hpp>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "io/buffered_stream.hpp"

namespace spindle {

class UnixStream : public BufferedStream<boost::asio::local::stream_protocol::socket> {
 public:
  explicit UnixStream(boost::asio::local::stream_protocol::socket s) : BufferedStream(std::move(s)) {}
  // The peer reads end of stream; this side can still read (half-close).
  void shutdown_write();
  boost::asio::local::stream_protocol::endpoint local_endpoint() const;
  boost::asio::local::stream_protocol::endpoint remote_endpoint() const;
};

// Connects to the listener at `path`. Nobody listening → system_error(connection_refused); no such
// file → system_error(no_such_file_or_directory); what() names the path ("connect /tmp/s.sock:
// Connection refused"; an abstract name shows as "@name").
UnixStream open_unix_connection(std::string_view path);

class UnixListener {
 public:
  static UnixListener bind(std::string_view path, int backlog = boost::asio::socket_base::max_listen_connections);

  UnixListener(UnixListener&& o) noexcept;
  UnixListener& operator=(UnixListener&& o) noexcept;
  ~UnixListener();

  // Parks until a connection arrives. Errors → system_error naming the path ("accept /tmp/s.sock:
  // Too many open files"); after close() → operation_aborted.
  UnixStream accept();
  const std::string& path() const { return path_; }
  bool is_open() const { return acceptor_.is_open(); }
  // Stops listening and unlinks the socket file; a fiber parked in accept() resumes with
  // operation_aborted. Never throws.
  void close() noexcept;

 private:
  UnixListener(boost::asio::local::stream_protocol::acceptor a, std::string path, dev_t dev, ino_t ino);
  void unlink_file() noexcept;

  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
  bool owns_file_ = false;  // the socket file at path_ (identified by dev_/ino_) is ours to unlink
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace spindle
