// start_server / Server: a fiber per connection in one task group, close, wait_closed, graceful
// shutdown with a grace period, serve_forever cancellation, a failing handler ends only its own
// connection.
#include "../support.hpp"

using namespace std::chrono_literals;
using spindle::TcpStream;
using spindle_test::LogCapture;
using spindle_test::Recorder;

namespace {

// The example, in valid C++ (`while` takes no init-statement).
void echo_lines(TcpStream s) {
  for (std::string line; !(line = s.read_line()).empty();) s.write_all(line);
}

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
    while (server.connections() == 0) spindle::sleep(1ms);
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
    spindle::yield_now();
    auto client = spindle::open_connection("127.0.0.1", server->port());
    while (server->connections() == 0) spindle::yield_now();
    serving.cancel();
    serving.join();
    CHECK(serving.cancelled());
    CHECK_FALSE(server->is_serving());
    CHECK(client.read_line() == "");
  });
  CHECK(rec.str() == "connection cancelled");
}

TEST_CASE("start_server with an empty handler → invalid_argument") {
  spindle::run([] { CHECK_THROWS_AS(spindle::start_server("127.0.0.1", 0, nullptr), std::invalid_argument); });
}

}  // TEST_SUITE
