#include "io/tcp.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/socket_base.hpp>
#include <sys/socket.h>

#include "io/detail/accept.hpp"
#include "io/resolve.hpp"
#include "scheduler/loop.hpp"

namespace spindle {

using boost::asio::ip::tcp;

void TcpStream::shutdown_write() { stream_.shutdown(tcp::socket::shutdown_send); }

void TcpStream::set_nodelay(bool on) { stream_.set_option(tcp::no_delay(on)); }

tcp::endpoint TcpStream::local_endpoint() const { return stream_.local_endpoint(); }

tcp::endpoint TcpStream::remote_endpoint() const { return stream_.remote_endpoint(); }

TcpStream open_connection(std::string_view host, std::uint16_t port) {
  const auto endpoints = resolve(host, std::to_string(port));
  tcp::socket socket(this_loop().io_context());
  boost::asio::async_connect(socket, endpoints, use_fiber.named("open_connection"));
  return TcpStream(std::move(socket));
}

TcpListener TcpListener::bind(std::string_view host, std::uint16_t port, ListenOptions options) {
  const auto endpoints = resolve(host, std::to_string(port));
  tcp::acceptor acceptor(this_loop().io_context());
  const tcp::endpoint& at = endpoints.front();
  acceptor.open(at.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  if (options.reuse_port) {
    using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
    acceptor.set_option(reuse_port(true));
  }
  acceptor.bind(at);
  acceptor.listen(options.backlog);
  acceptor.non_blocking(true);
  return TcpListener(std::move(acceptor));
}

TcpStream TcpListener::accept() { return TcpStream(detail::accept_socket(acceptor_, "TcpListener.accept")); }

std::uint16_t TcpListener::port() const { return acceptor_.local_endpoint().port(); }

tcp::endpoint TcpListener::local_endpoint() const { return acceptor_.local_endpoint(); }

void TcpListener::close() noexcept {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

}  // namespace spindle
