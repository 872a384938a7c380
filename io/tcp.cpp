#include "io/tcp.hpp"

#include <boost/asio/socket_base.hpp>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <stdexcept>

#include "io/detail/accept.hpp"
#include "io/detail/connect.hpp"
#include "io/resolve.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/timeout.hpp"
#include "sync/event.hpp"
#include "sync/task_group.hpp"

namespace spindle {

using boost::asio::ip::tcp;

void TcpStream::shutdown_write() { stream_.shutdown(tcp::socket::shutdown_send); }

void TcpStream::set_nodelay(bool on) { stream_.set_option(tcp::no_delay(on)); }

tcp::endpoint TcpStream::local_endpoint() const { return stream_.local_endpoint(); }

tcp::endpoint TcpStream::remote_endpoint() const { return stream_.remote_endpoint(); }

std::vector<tcp::endpoint> detail::interleave_families(std::span<const tcp::endpoint> endpoints) {
  std::vector<tcp::endpoint> first, other;
  for (const auto& e : endpoints) {
    (e.protocol() == endpoints.front().protocol() ? first : other).push_back(e);
  }
  std::vector<tcp::endpoint> out;
  out.reserve(endpoints.size());
  for (std::size_t i = 0; i < first.size() || i < other.size(); ++i) {
    if (i < first.size()) out.push_back(first[i]);
    if (i < other.size()) out.push_back(other[i]);
  }
  return out;
}

namespace {
[[noreturn]] void throw_all_failed(std::string_view host, std::span<const tcp::endpoint> endpoints,
                                   std::span<const boost::system::error_code> errors) {
  std::string what = "connect " + detail::host_port(host, endpoints.front().port());
  what += ": all ";
  what += std::to_string(endpoints.size());
  what += " addresses failed: ";
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    if (i > 0) what += "; ";
    what += detail::endpoint_text(endpoints[i]);
    what += ": ";
    what += errors[i].message();
  }
  throw detail::IoError(errors.front(), what);  // alike or not, the first attempt's error
}
}  // namespace

tcp::socket detail::connect_first(std::span<const tcp::endpoint> endpoints, Duration delay,
                                  std::string_view host) {
  if (endpoints.empty()) throw std::invalid_argument("connect_first: no endpoints to connect to");
  if (endpoints.size() == 1) {
    const tcp::endpoint& at = endpoints.front();
    tcp::socket socket(this_loop().io_context());
    boost::system::error_code ec;
    socket.async_connect(at, use_fiber[ec].named("open_connection"));
    if (ec) {
      std::string target = host_port(host, at.port());
      if (host != at.address().to_string()) target += " (" + endpoint_text(at) + ")";
      throw_io_error(ec, "connect", target);
    }
    return socket;
  }
  std::optional<tcp::socket> winner;
  std::vector<boost::system::error_code> errors(endpoints.size());
  // failed[i]: attempt i failed. Outside the loop: an attempt may fail after the body moved on.
  std::vector<Event> failed(endpoints.size());
  task_group([&](TaskGroup& group) {
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      group.spawn(SpawnOptions{.name = "open_connection attempt"}, [&, i] {
        tcp::socket socket(this_loop().io_context());
        socket.async_connect(endpoints[i], use_fiber[errors[i]].named("open_connection"));
        if (errors[i]) {
          failed[i].set();
        } else if (!winner) {  // two can connect in the same turn: the later one just closes
          winner.emplace(std::move(socket));
          group.cancel();  // the other attempts end with CancelledError, closing their sockets
        }
      });
      move_on_after(delay, [&] { failed[i].wait(); });
    }
  });
  if (!winner) throw_all_failed(host, endpoints, errors);
  return std::move(*winner);
}

TcpStream open_connection(std::string_view host, Port port, ConnectOptions options) {
  const auto endpoints = detail::interleave_families(resolve(host, std::to_string(port.value())));
  return TcpStream(detail::connect_first(endpoints, options.happy_eyeballs_delay, host));
}

TcpListener TcpListener::bind(std::string_view host, Port port, ListenOptions options) {
  const tcp::endpoint at = resolve(host, std::to_string(port.value())).front();
  tcp::acceptor acceptor(this_loop().io_context());
  boost::system::error_code ec;
  const auto check = [&](const char* op) {
    if (ec) detail::throw_io_error(ec, op, detail::host_port(host, port));
  };
  acceptor.open(at.protocol(), ec);
  check("bind");
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  check("bind");
  if (options.reuse_port) {
    using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
    acceptor.set_option(reuse_port(true), ec);
    check("bind");
  }
  acceptor.bind(at, ec);
  check("bind");
  acceptor.listen(options.backlog, ec);
  check("listen");
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
