#pragma once
// TCP: TcpStream (a connected socket with buffered blocking-looking reads, see BufferedStream),
// open_connection(host, port), and TcpListener (bind + accept). All calls park only the fiber.
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "io/buffered_stream.hpp"
#include "io/port.hpp"
#include "scheduler/clock.hpp"

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

struct ConnectOptions {
  // RFC 8305's "connection attempt delay" (Trio's and asyncio's happy_eyeballs_delay).
  // Duration::max(): each attempt waits for the previous one to fail; ≤ 0: all start at once.
  Duration happy_eyeballs_delay = std::chrono::milliseconds(250);
};

// Happy Eyeballs (RFC 8305): resolves `host`, interleaves IPv6 and IPv4 addresses (the resolver's
// first family first) and races connects: the next attempt starts when the previous one fails or
// after happy_eyeballs_delay; the first to connect wins and the others are cancelled and closed.
// Cancelling the caller cancels every attempt. Errors name what failed, as Go and asyncio do:
// the host unknown → system_error "resolve nosuch.invalid:80: Host not found (authoritative)";
// one address → "connect 127.0.0.1:1: Connection refused" (a name adds its address:
// "connect localhost:1 (127.0.0.1:1): ..."); several, all failed → "connect localhost:1: all 2
// addresses failed: [::1]:1: Connection refused; 127.0.0.1:1: Connection refused", and code() is
// the first attempt's error, so refused everywhere → connection_refused (asyncio lists them in an
// OSError without errno; Trio raises them all together).
// A port outside 0–65535 → std::invalid_argument (see Port).
TcpStream open_connection(std::string_view host, Port port, ConnectOptions options = {});

struct ListenOptions {
  int backlog = boost::asio::socket_base::max_listen_connections;
  bool reuse_port = false;  // SO_REUSEPORT: several listeners (processes, threads) share the port
};

class TcpListener {
 public:
  // Binds and listens (SO_REUSEADDR always) on the first address `host` resolves to. Port 0 picks
  // a free port: see port(). Errors name host and port: "bind 127.0.0.1:80: Permission denied".
  static TcpListener bind(std::string_view host, Port port, ListenOptions options = {});

  // Parks until a connection arrives. Connections the peer aborted before accept are skipped.
  // Errors → system_error naming the listener ("accept 127.0.0.1:8080: Too many open files");
  // after close() → operation_aborted.
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
