#pragma once
// UdpSocket: datagrams with blocking-looking calls that park only the calling fiber.
//
//   auto server = spindle::UdpSocket::bind("127.0.0.1", 0);        // port 0: a free port
//   auto [n, from] = server.receive_from(asio::buffer(buf));       // parks until a datagram
//   server.send_to(std::string_view(buf, n), from);
//
//   spindle::UdpSocket client;                                     // not open yet
//   client.connect("127.0.0.1", server.port());                    // default peer (opens, autobinds)
//   client.send("ping");  n = client.receive(asio::buffer(buf));   // only from the peer
//
// The socket is non-blocking: every call is tried first and parks on readiness only when it would
// block. Every call is a cancellation point (a parked receive is really cancelled, nothing is
// consumed). A datagram longer than the buffer is truncated to it (the rest is discarded, as
// recv(2) does). OS errors → boost::system::system_error; bind and connect name what they were
// given ("bind 127.0.0.1:53: Address already in use"); on a connected socket an ICMP "port
// unreachable" from the peer shows up as connection_refused on a later call. A port outside
// 0–65535 → std::invalid_argument (see Port). One receiving and one sending fiber at a time.
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/port.hpp"

namespace spindle {

class UdpSocket {
 public:
  using Endpoint = boost::asio::ip::udp::endpoint;
  struct Datagram {
    std::size_t size;  // bytes stored in the buffer
    Endpoint sender;
  };

  // A socket of the current loop, not open yet: connect() opens it (or use bind()).
  UdpSocket();
  explicit UdpSocket(boost::asio::ip::udp::socket s);
  // Binds to host:port (SO_REUSEADDR not set: the port is this socket's). Port 0 picks a free one.
  static UdpSocket bind(std::string_view host, Port port);

  // Sets the default peer: send()/receive() then talk to it only. Opens the socket if needed.
  void connect(std::string_view host, Port port);
  void connect(const Endpoint& peer);

  // One datagram each; the send calls return the bytes sent (all of them for UDP).
  std::size_t send_to(boost::asio::const_buffer bytes, const Endpoint& to);
  std::size_t send_to(std::string_view bytes, const Endpoint& to) { return send_to(boost::asio::buffer(bytes), to); }
  Datagram receive_from(boost::asio::mutable_buffer out);
  std::size_t send(boost::asio::const_buffer bytes);
  std::size_t send(std::string_view bytes) { return send(boost::asio::buffer(bytes)); }
  std::size_t receive(boost::asio::mutable_buffer out);

  std::uint16_t port() const { return local_endpoint().port(); }
  Endpoint local_endpoint() const { return socket_.local_endpoint(); }
  Endpoint remote_endpoint() const { return socket_.remote_endpoint(); }
  bool is_open() const { return socket_.is_open(); }
  boost::asio::ip::udp::socket& socket() { return socket_; }
  // Closes now; a fiber parked on this socket resumes with operation_aborted. Never throws.
  void close() noexcept;

 private:
  void open_and_connect(const Endpoint& peer, boost::system::error_code& ec);
  boost::asio::ip::udp::socket socket_;
};

}  // namespace spindle
