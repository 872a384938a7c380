#include "io/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "scheduler/cancel_scope.hpp"
#include "scheduler/detail/logger.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/lowlevel.hpp"
#include "scheduler/sleep.hpp"
#include "scheduler/task.hpp"
#include "scheduler/timeout.hpp"
#include "sync/event.hpp"
#include "sync/task_group.hpp"

namespace spindle {

struct Server::State {
  State(TcpListener l, ConnectionHandler h, ServerOptions o)
      : listener(std::move(l)), handler(std::move(h)), options(o) {}
  TcpListener listener;
  ConnectionHandler handler;
  ServerOptions options;
  Task<void> acceptor;
  TaskGroup* group = nullptr;  // set while the accept loop's task group exists
  bool closing = false;        // close() or shutdown() was called
  bool shutting_down = false;  // shutdown() was called: idle connections are closed
  // Connections spawned and not yet ended (counted at spawn: a connection fiber starts lazily).
  std::size_t live = 0;
  Event slot_freed;                          // a connection ended (or close()): accept again
  Connection::State* connections = nullptr;  // the connections being served, newest first
};

// One connection's state, on its fiber's stack while the handler runs.
struct Connection::State {
  explicit State(Server::State& s)
      : server(s), loop(this_loop()), idle_timer(loop, &State::on_idle_timer, this) {
    next = s.connections;
    if (next) next->prev = this;
    s.connections = this;
    if (s.options.idle_timeout) {
      last_activity = std::make_shared<TimePoint>(loop.time());
      arm_idle_timer();
    }
  }
  ~State() {
    (prev ? prev->next : server.connections) = next;
    if (next) next->prev = prev;
    --server.live;
    server.slot_freed.set();
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void close_now(const char* why) {
    if (!closed_because) closed_because = why;
    scope.cancel(why);
  }
  // Fires when the connection may have been idle for idle_timeout: closes it if so, else waits
  // for the rest (one timer per connection, never re-armed per read or write).
  void arm_idle_timer() {
    const TimePoint last = *last_activity;
    const Duration d = *server.options.idle_timeout;
    if (d > TimePoint::max() - last) return;  // never, in practice
    const TimePoint due = last + std::max(d, Duration::zero());
    if (due <= loop.time()) return close_now("idle timeout");
    idle_timer.arm(due);
  }
  static void on_idle_timer(detail::TimerNode& t) {
    static_cast<State*>(t.context)->arm_idle_timer();
  }

  Server::State& server;
  Loop& loop;
  CancelScope scope;  // the handler runs in it; cancelling it closes the connection
  std::shared_ptr<TimePoint> last_activity;  // stamped by the stream (idle_timeout only)
  lowlevel::LoopTimer idle_timer;
  bool idle = false;  // waiting between requests (Connection::idle)
  const char* closed_because = nullptr;
  State* prev = nullptr;
  State* next = nullptr;
};

bool Connection::server_closing() const { return state_.server.closing; }

void Connection::begin_idle() {
  // Shutting down already: close instead of waiting (the wait's first park throws).
  if (state_.server.shutting_down) state_.close_now("server shutdown");
  state_.idle = true;
}

void Connection::end_idle() noexcept { state_.idle = false; }

namespace {

using namespace std::chrono_literals;

bool out_of_resources(const boost::system::error_code& ec) {
  const int e = ec.value();
  return ec.category() == boost::system::system_category() &&
         (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM);
}

// One connection: its failure is its own (logged), never the server's.
void serve_connection(Server::State& s, TcpStream stream) {
  Connection::State c(s);
  if (c.last_activity) stream.track_activity(c.last_activity);
  Connection connection(c);
  c.scope.run([&] {
    try {
      s.handler(std::move(stream), connection);
    } catch (const boost::system::system_error& e) {
      detail::logger().info("connection ended: {}", e.what());
    } catch (const std::exception& e) {
      detail::logger().error("connection handler failed: {}", e.what());
    }
  });
  if (c.closed_because) detail::logger().debug("connection closed: {}", c.closed_because);
}

void accept_loop(Server::State& s) {
  // The group lives until task_group returns (it waits for the connections after the body ends),
  // also when cancellation ends it: only then is it gone.
  struct ForgetGroup {
    Server::State& s;
    ~ForgetGroup() { s.group = nullptr; }
  } forget_group{s};
  const std::size_t cap = s.options.max_connections;
  task_group([&](TaskGroup& g) {
    s.group = &g;
    Duration backoff = 10ms;
    while (!s.closing) {
      if (cap && s.live >= cap) {  // leave further clients in the kernel's backlog
        s.slot_freed.clear();
        s.slot_freed.wait();
        continue;
      }
      std::optional<TcpStream> stream;
      try {
        stream.emplace(s.listener.accept());
      } catch (const boost::system::system_error& e) {
        if (s.closing) break;  // close() aborted the accept
        if (!out_of_resources(e.code())) throw;
        detail::logger().warn(
            "server: {}; retrying accept in {} ms", e.what(),
            std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count());
        sleep(backoff);
        backoff = std::min<Duration>(backoff * 2, 1s);
        continue;
      }
      backoff = 10ms;
      ++s.live;
      g.spawn(SpawnOptions{.name = "connection"},
              [&s, st = std::move(*stream)]() mutable { serve_connection(s, std::move(st)); });
    }
  });
}

}  // namespace

Server detail::start_server(std::string_view host, Port port, ConnectionHandler handler,
                            ServerOptions options) {
  if (!handler) throw std::invalid_argument("start_server: handler is empty");
  auto state = std::make_shared<Server::State>(TcpListener::bind(host, port, options.listen),
                                               std::move(handler), options);
  std::string name = "server :";
  name += std::to_string(state->listener.port());
  state->acceptor = spawn(SpawnOptions{.name = std::move(name)}, [state] { accept_loop(*state); });
  return Server(std::move(state));
}

std::uint16_t Server::port() const { return state_->listener.port(); }

boost::asio::ip::tcp::endpoint Server::local_endpoint() const {
  return state_->listener.local_endpoint();
}

void Server::close() {
  state_->closing = true;
  state_->listener.close();
  state_->slot_freed.set();  // an accept loop waiting for a free slot ends too
}

bool Server::is_serving() const { return !state_->closing; }

void Server::wait_closed() { state_->acceptor.get(); }

namespace {
// Cancels the accept fiber (and so every connection) and waits for it, also in a cancelled caller.
void cancel_and_reap(Task<void>& acceptor, const char* why) {
  acceptor.cancel(why);
  shield([&] { acceptor.join(); });
}
}  // namespace

void Server::serve_forever() {
  try {
    state_->acceptor.get();
  } catch (const CancelledError&) {
    close();
    cancel_and_reap(state_->acceptor, "serve_forever cancelled");
    throw;
  }
}

bool Server::shutdown(Duration grace) {
  state_->shutting_down = true;
  close();
  for (Connection::State* c = state_->connections; c; c = c->next) {
    if (c->idle) c->close_now("server shutdown");
  }
  bool finished = false;
  try {
    finished = move_on_after(grace, [&] { state_->acceptor.join(); }).has_value();
  } catch (const CancelledError&) {
    cancel_and_reap(state_->acceptor, "server shutdown cancelled");
    throw;
  }
  if (!finished) cancel_and_reap(state_->acceptor, "server shutdown: grace period over");
  return finished;
}

std::size_t Server::connections() const { return state_->group ? state_->group->size() : 0; }

}  // namespace spindle
