#include "io/udp.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <string>

#include "io/resolve.hpp"
#include "io/use_fiber.hpp"
#include "scheduler/loop.hpp"

namespace spindle {

namespace detail {
void io_checkpoint();
}

using boost::asio::ip::udp;

namespace {

udp::endpoint resolve_udp(std::string_view host, Port port) {
  const auto endpoints = resolve(host, std::to_string(port.value()));  // the first, as TcpListener
  return udp::endpoint(endpoints.front().address(), endpoints.front().port());
}

// One non-blocking call: `op(ec)` is tried; "would block" parks until the socket is ready for
// `wait`, then tries again. A cancellation point even when it does not park.
template <class Op>
std::size_t try_then_wait(udp::socket& s, udp::socket::wait_type wait, const char* what, Op op) {
  detail::io_checkpoint();
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = op(ec);
    if (ec != boost::asio::error::would_block) {
      if (ec) detail::throw_io_error(ec, what);
      return n;
    }
    s.async_wait(wait, use_fiber.named(what));
  }
}

}  // namespace

UdpSocket::UdpSocket() : socket_(this_loop().io_context()) {}

UdpSocket::UdpSocket(udp::socket s) : socket_(std::move(s)) {
  if (socket_.is_open()) socket_.non_blocking(true);
}

UdpSocket UdpSocket::bind(std::string_view host, Port port) {
  const udp::endpoint at = resolve_udp(host, port);
  udp::socket s(this_loop().io_context());
  boost::system::error_code ec;
  s.open(at.protocol(), ec);
  if (!ec) s.bind(at, ec);
  if (ec) detail::throw_io_error(ec, "bind", detail::host_port(host, port));
  return UdpSocket(std::move(s));
}

void UdpSocket::connect(std::string_view host, Port port) {
  boost::system::error_code ec;
  open_and_connect(resolve_udp(host, port), ec);
  if (ec) detail::throw_io_error(ec, "connect", detail::host_port(host, port));
}

void UdpSocket::connect(const Endpoint& peer) {
  boost::system::error_code ec;
  open_and_connect(peer, ec);
  if (ec) detail::throw_io_error(ec, "connect", detail::endpoint_text(peer));
}

void UdpSocket::open_and_connect(const Endpoint& peer, boost::system::error_code& ec) {
  if (!socket_.is_open()) {
    socket_.open(peer.protocol(), ec);
    if (ec) return;
    socket_.non_blocking(true);
  }
  socket_.connect(peer, ec);  // a datagram connect only records the peer: it never blocks
}

std::size_t UdpSocket::send_to(boost::asio::const_buffer bytes, const Endpoint& to) {
  return try_then_wait(socket_, udp::socket::wait_write, "UdpSocket.send_to",
                       [&](boost::system::error_code& ec) { return socket_.send_to(bytes, to, 0, ec); });
}

UdpSocket::Datagram UdpSocket::receive_from(boost::asio::mutable_buffer out) {
  Endpoint sender;
  const std::size_t n =
      try_then_wait(socket_, udp::socket::wait_read, "UdpSocket.receive_from",
                    [&](boost::system::error_code& ec) { return socket_.receive_from(out, sender, 0, ec); });
  return Datagram{n, sender};
}

std::size_t UdpSocket::send(boost::asio::const_buffer bytes) {
  return try_then_wait(socket_, udp::socket::wait_write, "UdpSocket.send",
                       [&](boost::system::error_code& ec) { return socket_.send(bytes, 0, ec); });
}

std::size_t UdpSocket::receive(boost::asio::mutable_buffer out) {
  return try_then_wait(socket_, udp::socket::wait_read, "UdpSocket.receive",
                       [&](boost::system::error_code& ec) { return socket_.receive(out, 0, ec); });
}

void UdpSocket::close() noexcept {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace spindle
