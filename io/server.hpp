#pragma once
// start_server(host, port, handler): a listening server that runs handler(TcpStream) on its own
// fiber for every connection (asyncio.start_server). The fibers live in one task group under the
// server's accept fiber, so a server never leaves a connection fiber behind.
//
// A handler's exception ends only its own connection (it is logged, the server goes on). Accept
// errors from running out of file descriptors (EMFILE, ENFILE) or memory are logged and retried
// with a growing back-off (10 ms to 1 s), so the server recovers when descriptors free up.
#include <cstdint>
#include <functional>
#include <memory>

#include "io/tcp.hpp"
#include "scheduler/clock.hpp"

namespace spindle {

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
  // Graceful stop: close(), give connections up to `grace` to finish, cancel the rest, wait.
  // Returns true if every connection finished within the grace period.
  bool shutdown(Duration grace);
  // Connections being served now.
  std::size_t connections() const;

 private:
  std::shared_ptr<State> state_;
};

Server start_server(std::string_view host, std::uint16_t port, std::function<void(TcpStream)> handler,
                    ListenOptions options = {});

}  // namespace spindle
