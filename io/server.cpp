#include "io/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "scheduler/detail/logger.hpp"
#include "scheduler/sleep.hpp"
#include "scheduler/task.hpp"
#include "sync/task_group.hpp"
#include "scheduler/timeout.hpp"

namespace spindle {

struct Server::State {
  TcpListener listener;
  std::function<void(TcpStream)> handler;
  Task<void> acceptor;
  TaskGroup* group = nullptr;  // set while the accept loop's task group exists
  bool closing = false;
};

namespace {

using namespace std::chrono_literals;

bool out_of_resources(const boost::system::error_code& ec) {
  const int e = ec.value();
  return ec.category() == boost::system::system_category() &&
         (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM);
}

// One connection: its failure is its own (logged), never the server's.
void serve_connection(const std::function<void(TcpStream)>& handler, TcpStream stream) {
  try {
    handler(std::move(stream));
  } catch (const boost::system::system_error& e) {
    detail::logger().info("connection ended: {}", e.what());
  } catch (const std::exception& e) {
    detail::logger().error("connection handler failed: {}", e.what());
  }
}

void accept_loop(Server::State& s) {
  // The group lives until task_group returns (it waits for the connections after the body ends),
  // also when cancellation ends it: only then is it gone.
  struct ForgetGroup {
    Server::State& s;
    ~ForgetGroup() { s.group = nullptr; }
  } forget_group{s};
  task_group([&](TaskGroup& g) {
    s.group = &g;
    Duration backoff = 10ms;
    while (!s.closing) {
      std::optional<TcpStream> stream;
      try {
        stream.emplace(s.listener.accept());
      } catch (const boost::system::system_error& e) {
        if (s.closing) break;  // close() aborted the accept
        if (!out_of_resources(e.code())) throw;
        detail::logger().warn("server: {}; retrying accept in {} ms", e.what(),
                              std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count());
        sleep(backoff);
        backoff = std::min<Duration>(backoff * 2, 1s);
        continue;
      }
      backoff = 10ms;
      g.spawn(SpawnOptions{.name = "connection"}, [&handler = s.handler, st = std::move(*stream)]() mutable {
        serve_connection(handler, std::move(st));
      });
    }
  });
}

}  // namespace

Server start_server(std::string_view host, std::uint16_t port, std::function<void(TcpStream)> handler,
                    ListenOptions options) {
  if (!handler) throw std::invalid_argument("start_server: handler is empty");
  auto state = std::make_shared<Server::State>(
      Server::State{TcpListener::bind(host, port, options), std::move(handler), {}, nullptr, false});
  std::string name = "server :";
  name += std::to_string(state->listener.port());
  state->acceptor = spawn(SpawnOptions{.name = std::move(name)}, [state] { accept_loop(*state); });
  return Server(std::move(state));
}

std::uint16_t Server::port() const { return state_->listener.port(); }

boost::asio::ip::tcp::endpoint Server::local_endpoint() const { return state_->listener.local_endpoint(); }

void Server::close() {
  state_->closing = true;
  state_->listener.close();
}

bool Server::is_serving() const { return !state_->closing; }

void Server::wait_closed() { state_->acceptor.get(); }

void Server::serve_forever() {
  try {
    state_->acceptor.get();
  } catch (const CancelledError&) {
    close();
    state_->acceptor.cancel("serve_forever cancelled");
    state_->acceptor.join();  // a cancelled caller still reaps its connections
    throw;
  }
}

bool Server::shutdown(Duration grace) {
  close();
  const bool finished = move_on_after(grace, [&] { state_->acceptor.join(); }).has_value();
  if (!finished) state_->acceptor.cancel("server shutdown: grace period over");
  state_->acceptor.join();
  return finished;
}

std::size_t Server::connections() const { return state_->group ? state_->group->size() : 0; }

}  // namespace spindle
