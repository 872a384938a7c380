// start_server / Server: a fiber per connection in one task group, close, wait_closed, graceful
// shutdown with a grace period (idle connections closed at once, a second stop ends the grace),
// serve_forever cancellation, a failing handler ends only its own connection, ServerOptions
// (max_connections, idle_timeout).
#include "../support.hpp"
#include "spindle/testing.hpp"

using namespace std::chrono_literals;
using spindle::Connection;
using spindle::ServerOptions;
using spindle::TcpStream;
using spindle_test::LogCapture;
using spindle_test::Recorder;

namespace {

// The example, in valid C++ (`while` takes no init-statement).
void echo_lines(TcpStream s) {
  for (std::string line; !(line = s.read_line()).empty();) s.write_all(line);
}

// A request-per-line protocol that takes part in graceful shutdown: the wait for the next line is
// idle; "slow" takes 3 s; the answer says whether the server is closing.
void line_requests(TcpStream s, Connection& c) {
  for (;;) {
    const std::string line = c.idle([&] { return s.read_line(); });
    if (line.empty()) return;
    if (line == "slow\n") spindle::sleep(3s);
    s.write_all(c.server_closing() ? "closing\n" : "ok\n");
  }
}

// A line, waiting at most an hour of virtual time for it (so a missing answer fails, not hangs).
std::string bounded_line(TcpStream& client) {
  return spindle::timeout(std::chrono::hours(1), [&] { return client.read_line(); });
}

// The connection's server side has closed: the client reads end of stream.
bool closed_by_server(TcpStream& client) { return bounded_line(client).empty(); }

}  // namespace

TEST_SUITE("server") {

TEST_CASE("the issue's example: an echo server serves several clients at once") {
  spindle::run([] {
    auto server = spindle::start_server("127.0.0.1", 0, echo_lines);
    std::vector<TcpStream> clients;
    for (int i = 0; i < 3; ++i) clients.push_back(spindle::open_connection("127.0.0.1", server.port()));
    for (int i = 2; i >= 0; --i) clients[i].write_all("hello " + std::to_string(i) + "\n");
    for (int i = 0; i < 3; ++i) CHECK(clients[i].read_line() == "hello " + std::to_string(i) + "\n");
    CHECK(server.connections() == 3);
    clients.clear();  // the handlers read end of stream and return
    server.close();
    server.wait_closed();
    CHECK(server.connections() == 0);
  });
}

TEST_CASE("a handler that throws ends only its own connection, and is logged") {
  LogCapture log;
  spindle::run([] {
    auto server = spindle::start_server("127.0.0.1", 0, [](TcpStream s) {
      auto line = s.read_line();
      if (line == "boom\n") throw std::runtime_error("handler failed on purpose");
      s.write_all(line);
      echo_lines(std::move(s));
    });
    auto good = spindle::open_connection("127.0.0.1", server.port());
    auto bad = spindle::open_connection("127.0.0.1", server.port());
    bad.write_all("boom\n");
    CHECK(bad.read_line() == "");  // the server closed that connection
    good.write_all("still here\n");
    CHECK(good.read_line() == "still here\n");
    CHECK(server.is_serving());
    good.close();
    server.close();
    server.wait_closed();
  });
  CHECK(log.contains("error: connection handler failed: handler failed on purpose"));
}

TEST_CASE("close() stops accepting while accepted connections go on; wait_closed waits for them") {
  Recorder rec;
  spindle::run([&] {
    auto server = spindle::start_server("127.0.0.1", 0, echo_lines);
    auto client = spindle::open_connection("127.0.0.1", server.port());
    client.write_all("one\n");
    CHECK(client.read_line() == "one\n");
    server.close();
    CHECK_FALSE(server.is_serving());
    CHECK_THROWS_AS(spindle::open_connection("127.0.0.1", server.port()), boost::system::system_error);
    auto waiter = spindle::spawn([&] {
      server.wait_closed();
      rec("closed");
    });
    client.write_all("two\n");
    CHECK(client.read_line() == "two\n");
    rec("client done");
    client.close();
    waiter.get();
  });
  CHECK(rec.str() == "client done, closed");
}

TEST_CASE("shutdown(grace): finished connections end cleanly, the rest are cancelled at the deadline") {
  Recorder rec;
  spindle::run(spindle_test::io_virtual(), [&] {
    auto server = spindle::start_server("127.0.0.1", 0, [&](TcpStream s) {
      try {
        s.read_line();  // an idle keep-alive connection
      } catch (const spindle::CancelledError&) {
        rec("idle connection cancelled");
        throw;
      }
    });
    auto idle = spindle::open_connection("127.0.0.1", server.port());
    spindle::testing::wait_all_blocked();  // the server has accepted and its handler parked
    spindle_test::Stopwatch sw;
    CHECK_FALSE(server.shutdown(5s));
    CHECK(sw.elapsed() == 5s);
    CHECK(idle.read_line() == "");  // its server side was closed
  });
  CHECK(rec.str() == "idle connection cancelled");
}

TEST_CASE("shutdown(grace) returns true at once when no connection is left") {
  spindle::run(spindle_test::io_virtual(), [] {
    auto server = spindle::start_server("127.0.0.1", 0, echo_lines);
    spindle_test::Stopwatch sw;
    CHECK(server.shutdown(5s));
    CHECK(sw.elapsed() == 0s);
  });
}

TEST_CASE("cancelling serve_forever closes the server and cancels its connections") {
  Recorder rec;
  spindle::run([&] {
    std::optional<spindle::Server> server;
    auto serving = spindle::spawn([&] {
      server = spindle::start_server("127.0.0.1", 0, [&](TcpStream s) {
        try {
          s.read_line();
        } catch (const spindle::CancelledError&) {
          rec("connection cancelled");
          throw;
        }
      });
      server->serve_forever();
    });
    spindle::testing::wait_all_blocked();  // the server is listening
    auto client = spindle::open_connection("127.0.0.1", server->port());
    spindle::testing::wait_all_blocked();  // and has accepted: its handler is parked in read
    serving.cancel();
    serving.join();
    CHECK(serving.cancelled());
    CHECK_FALSE(server->is_serving());
    CHECK(client.read_line() == "");
  });
  CHECK(rec.str() == "connection cancelled");
}

TEST_CASE("max_connections: at the cap the next client waits unserved until a connection ends") {
  Recorder rec;
  spindle::run(spindle_test::io_virtual(), [&] {
    auto server = spindle::start_server(
        "127.0.0.1", 0,
        [&](TcpStream s) {
          const std::string name = s.read_line();
          rec("serve " + name.substr(0, 1));
          s.write_all(name);
          s.read_line();  // until the client closes
        },
        ServerOptions{.max_connections = 2});
    auto a = spindle::open_connection("127.0.0.1", server.port());
    auto b = spindle::open_connection("127.0.0.1", server.port());
    auto c = spindle::open_connection("127.0.0.1", server.port());  // completes in the backlog
    for (auto* client : {&a, &b, &c}) client->write_all(client == &a ? "a\n" : client == &b ? "b\n" : "c\n");
    CHECK(bounded_line(a) == "a\n");
    CHECK(bounded_line(b) == "b\n");
    CHECK_FALSE(spindle::move_on_after(10s, [&] { return c.read_line(); }).has_value());
    CHECK(server.connections() == 2);
    a.close();
    CHECK(bounded_line(c) == "c\n");
    CHECK(server.connections() == 2);
    b.close();
    c.close();
    CHECK(server.shutdown(1s));
  });
  // a and b are served first (in either order: their handlers are ready together), c only later.
  CHECK((rec.str() == "serve a, serve b, serve c" || rec.str() == "serve b, serve a, serve c"));
}

TEST_CASE("idle_timeout: closed exactly that long after the last completed read or write") {
  LogCapture log;
  spindle::run(spindle_test::io_virtual(), [&] {
    auto server = spindle::start_server("127.0.0.1", 0, echo_lines, ServerOptions{.idle_timeout = 10s});
    spindle_test::Stopwatch sw;
    auto client = spindle::open_connection("127.0.0.1", server.port());
    spindle::sleep(6s);
    client.write_all("six\n");
    CHECK(client.read_line() == "six\n");  // the server read and wrote at 6 s
    spindle::sleep(9s);
    client.write_all("fifteen\n");
    CHECK(client.read_line() == "fifteen\n");  // and at 15 s: still open
    CHECK(closed_by_server(client));
    CHECK(sw.elapsed() == 25s);
    CHECK(server.connections() == 0);
    CHECK(server.shutdown(1s));
  });
  CHECK(log.contains("debug: connection closed: idle timeout"));
}

TEST_CASE("idle_timeout: a connection that never sends is closed after it; max() and negative values") {
  spindle::run(spindle_test::io_virtual(), [] {
    auto server = spindle::start_server("127.0.0.1", 0, echo_lines, ServerOptions{.idle_timeout = 2s});
    auto never = spindle::start_server("127.0.0.1", 0, echo_lines, ServerOptions{.idle_timeout = spindle::Duration::max()});
    auto at_once = spindle::start_server("127.0.0.1", 0, echo_lines, ServerOptions{.idle_timeout = -5s});
    spindle_test::Stopwatch sw;
    auto silent = spindle::open_connection("127.0.0.1", server.port());
    CHECK(closed_by_server(silent));
    CHECK(sw.elapsed() == 2s);
    auto forever = spindle::open_connection("127.0.0.1", never.port());
    spindle::sleep(std::chrono::hours(1000));
    forever.write_all("still\n");
    CHECK(forever.read_line() == "still\n");
    auto gone = spindle::open_connection("127.0.0.1", at_once.port());
    CHECK(closed_by_server(gone));
    forever.close();
    for (auto* s : {&server, &never, &at_once}) CHECK(s->shutdown(1s));
  });
}

TEST_CASE("shutdown closes idle connections at once; a busy one finishes, sees closing, then is closed") {
  Recorder rec;
  spindle::run(spindle_test::io_virtual(), [&] {
    auto server = spindle::start_server("127.0.0.1", 0, line_requests);
    auto idle = spindle::open_connection("127.0.0.1", server.port());
    auto busy = spindle::open_connection("127.0.0.1", server.port());
    idle.write_all("hi\n");
    CHECK(idle.read_line() == "ok\n");  // now idle between requests
    rec.start();
    busy.write_all("slow\n");
    spindle::testing::wait_all_blocked();  // the slow request is under way
    auto stopping = spindle::spawn([&] { return server.shutdown(10s); });
    if (closed_by_server(idle)) rec.at("idle closed");
    CHECK(busy.read_line() == "closing\n");
    rec.at("busy answered");
    // Its handler went back to the idle wait, so the server closed it instead of waiting.
    if (closed_by_server(busy)) rec.at("busy closed");
    CHECK(stopping.get());  // every connection ended within the grace
    rec.at("shutdown returned");
  });
  CHECK(rec.str() == "idle closed@0ms, busy answered@3000ms, busy closed@3000ms, shutdown returned@3000ms");
}

TEST_CASE("cancelling shutdown's caller ends the grace: the rest are cancelled and reaped at once") {
  Recorder rec;
  spindle::run(spindle_test::io_virtual(), [&] {
    auto server = spindle::start_server("127.0.0.1", 0, [&](TcpStream s) {
      try {
        s.read_line();
        spindle::sleep(100s);
      } catch (const spindle::CancelledError&) {
        rec.at("connection cancelled");
        throw;
      }
    });
    auto client = spindle::open_connection("127.0.0.1", server.port());
    client.write_all("work\n");
    spindle::testing::wait_all_blocked();  // the server has accepted and its handler parked
    rec.start();
    auto stopping = spindle::spawn([&] { return server.shutdown(std::chrono::hours(1)); });
    spindle::sleep(2s);
    stopping.cancel("second signal");
    stopping.join();
    rec.at("shutdown ended");
    CHECK(stopping.cancelled());
    CHECK(server.connections() == 0);
    CHECK(closed_by_server(client));
  });
  CHECK(rec.str() == "connection cancelled@2000ms, shutdown ended@2000ms");
}

TEST_CASE("start_server(host, port, handler, ListenOptions) still works") {
  spindle::run([] {
    auto server = spindle::start_server("127.0.0.1", 0, echo_lines, spindle::ListenOptions{.backlog = 16});
    auto client = spindle::open_connection("127.0.0.1", server.port());
    client.write_all("x\n");
    CHECK(client.read_line() == "x\n");
    client.close();
    CHECK(server.shutdown(1s));
  });
}

TEST_CASE("start_server with an empty handler → invalid_argument") {
  spindle::run([] { CHECK_THROWS_AS(spindle::start_server("127.0.0.1", 0, nullptr), std::invalid_argument); });
}

}  // TEST_SUITE
