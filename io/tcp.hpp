#pragma once
// TCP: TcpStream (a connected socket with buffered blocking-looking reads, see BufferedStream),
// open_connection(host, port), and TcpListener (bind + accept). All calls park only the fiber.
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string_view>

#include "io/buffered_stream.hpp"

namespace spindle {

class TcpStream : public BufferedStream<boost::asio::ip::tcp::socket> {
 public:
  explicit TcpStream(boost::asio::ip::tcp::socket s) : BufferedStream(std::move(s)) {}
  // Sends FIN: the peer reads end of stream; this side can still read (half-close).
  void shutdown_write();
  void set_nodelay(bool on = true);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  boost::asio::ip::tcp::endpoint remote_endpoint() const;
};

// Connects to the first address of `host` that accepts, trying them in the resolver's order (RFC
// 6724: IPv6 and IPv4 as the system prefers). Refused everywhere → system_error(connection_refused).
TcpStream open_connection(std::string_view host, std::uint16_t port);

struct ListenOptions {
  int backlog = boost::asio::socket_base::max_listen_connections;
  bool reuse_port = false;  // SO_REUSEPORT: several listeners (processes, threads) share the port
};

class TcpListener {
 public:
  // Binds and listens (SO_REUSEADDR always). Port 0 picks a free port: see port().
  static TcpListener bind(std::string_view host, std::uint16_t port, ListenOptions options = {});

  // Parks until a connection arrives. Connections the peer aborted before accept are skipped.
  // Errors (EMFILE: out of file descriptors) → system_error; after close() → operation_aborted.
  TcpStream accept();
  std::uint16_t port() const;
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Stops listening; a fiber parked in accept() resumes with operation_aborted. Never throws.
  void close() noexcept;
  bool is_open() const { return acceptor_.is_open(); }

 private:
  explicit TcpListener(boost::asio::ip::tcp::acceptor a) : acceptor_(std::move(a)) {}
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace spindle
