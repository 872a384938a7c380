#pragma once
// start_server(host, port, handler[, ServerOptions]): a listening server that runs handler on its
// own fiber for every connection (asyncio.start_server). The fibers live in one task group under
// the server's accept fiber, so a server never leaves a connection fiber behind. The handler takes
// the stream, `handler(TcpStream)`, or also its Connection, `handler(TcpStream, Connection&)`: what
// a protocol needs to take part in a graceful shutdown (see Connection).
//
// A handler's exception ends only its own connection (it is logged, the server goes on). Accept
// errors from running out of file descriptors (EMFILE, ENFILE) or memory are logged and retried
// with a growing back-off (10 ms to 1 s), so the server recovers when descriptors free up.
//
// Deadlines over several reads ("the whole request header within 10 s") need no helper of their
// own: run those reads in spindle::timeout(d, ...) (TimeoutError) or move_on_after(d, ...). The
// deadline sits on a cancel scope, so it covers every read inside at no cost per read, and a
// stalled read is really cancelled.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "io/port.hpp"
#include "io/tcp.hpp"
#include "scheduler/clock.hpp"

namespace spindle {

struct ServerOptions {
  ListenOptions listen = {};
  // At most this many connections are served at once; 0 = no cap (the default). At the cap the
  // server stops accepting, so further clients wait in the kernel's listen backlog
  // (listen.backlog), and resumes when a connection ends.
  std::size_t max_connections = 0;
  // A connection with no completed read or write on its stream for this long is closed (its
  // handler is cancelled). Unset = never (the default). Redis's `timeout`, Go's IdleTimeout.
  // Costs one clock read per completed read or write, and one timer per connection.
  std::optional<Duration> idle_timeout = std::nullopt;
};

// A handler's view of its connection and its server.
//
// "Idle between requests": a protocol with requests marks the wait for the next request with
// `idle(...)`. Server::shutdown closes idle connections at once (their handler is cancelled, so
// the wait throws CancelledError and the handler unwinds), while a connection in the middle of a
// request gets the grace period; a connection that starts to wait after shutdown began is closed
// before it waits. Between two idle waits a handler should check server_closing() and, if so,
// finish the request in hand and end (HTTP answers `Connection: close`).
class Connection {
 public:
  struct State;
  explicit Connection(State& s) : state_(s) {}

  // True once Server::shutdown (or close) has begun.
  bool server_closing() const;
  // Runs `wait` (typically the read of a request's first bytes) as idle between requests.
  template <class F>
  decltype(auto) idle(F&& wait) {
    IdleMark mark(*this);
    return std::forward<F>(wait)();
  }

 private:
  struct IdleMark {
    explicit IdleMark(Connection& c) : c(c) { c.begin_idle(); }
    ~IdleMark() { c.end_idle(); }
    Connection& c;
  };
  void begin_idle();
  void end_idle() noexcept;
  State& state_;
};

using ConnectionHandler = std::function<void(TcpStream, Connection&)>;

class Server {
 public:
  struct State;
  explicit Server(std::shared_ptr<State> s) : state_(std::move(s)) {}

  std::uint16_t port() const;
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Parks until the server has closed and its connections have ended. Cancelling the caller
  // closes the server (asyncio's serve_forever) and cancels its connections.
  void serve_forever();
  // Stops accepting; connections already accepted go on. Does not park.
  void close();
  bool is_serving() const;
  // Parks until the server is closed and every connection fiber has ended.
  void wait_closed();
  // Graceful stop: close(), close idle connections (see Connection) at once, give the others up to
  // `grace` to finish, cancel the rest, wait. Returns true if every connection finished within the
  // grace period. Cancelling the caller ends the grace at once: the rest are cancelled and reaped,
  // then CancelledError propagates.
  bool shutdown(Duration grace);
  // Connections being served now.
  std::size_t connections() const;

 private:
  std::shared_ptr<State> state_;
};

namespace detail {
Server start_server(std::string_view host, Port port, ConnectionHandler handler,
                    ServerOptions options);

template <class F>
ConnectionHandler to_connection_handler(F f) {
  if constexpr (std::is_invocable_v<F&, TcpStream, Connection&>) {
    return ConnectionHandler(std::move(f));
  } else {
    std::function<void(TcpStream)> g(std::move(f));
    if (!g) return {};
    return [g = std::move(g)](TcpStream s, Connection&) { g(std::move(s)); };
  }
}
}  // namespace detail

// An empty handler → std::invalid_argument.
template <class F>
Server start_server(std::string_view host, Port port, F handler, ServerOptions options = {}) {
  return detail::start_server(host, port, detail::to_connection_handler(std::move(handler)),
                              std::move(options));
}
template <class F>
Server start_server(std::string_view host, Port port, F handler, ListenOptions listen) {
  return start_server(host, port, std::move(handler), ServerOptions{.listen = listen});
}

}  // namespace spindle
