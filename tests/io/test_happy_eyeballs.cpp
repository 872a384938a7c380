// open_connection's Happy Eyeballs (RFC 8305) over explicit address lists (detail::connect_first):
// when each attempt starts, which one wins, what is thrown when all fail, and that losing and
// cancelled attempts leave no descriptor and no fiber behind. A connect that hangs is one to a
// listener whose accept queue is full: Linux then drops the SYN (and its retransmissions).
#include <sys/socket.h>

#include <sstream>

#include "../support.hpp"
#include "io/detail/connect.hpp"

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using boost::asio::ip::tcp;
using spindle::TcpListener;
using spindle_test::Stopwatch;

namespace {

// Live connect_first attempts, from dump_tasks.
std::size_t live_attempts() {
  std::ostringstream out;
  spindle::dump_tasks(out);
  std::istringstream lines(out.str());
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("'open_connection attempt'") != std::string::npos) ++n;
  }
  return n;
}

tcp::endpoint loopback(std::uint16_t port) { return {make_address("127.0.0.1"), port}; }

// A port nothing listens on: connecting is refused at once.
std::uint16_t closed_port() { return TcpListener::bind("127.0.0.1", 0).port(); }

// A listener that never accepts, with its accept queue full (backlog 0 holds one connection, which
// `filler` takes): every further connect to it hangs.
struct HangingListener {
  TcpListener listener = TcpListener::bind("127.0.0.1", 0, {.backlog = 0});
  tcp::socket filler = tcp::socket(spindle::this_loop().io_context());
  HangingListener() { filler.async_connect(listener.local_endpoint(), spindle::use_fiber); }
  tcp::endpoint endpoint() const { return listener.local_endpoint(); }
};

}  // namespace

TEST_SUITE("happy_eyeballs") {

TEST_CASE("interleave_families: the first address's family first, then alternating families") {
  auto at = [](const char* a) { return tcp::endpoint(make_address(a), 80); };
  const std::vector<tcp::endpoint> mixed{at("::1"),      at("::2"),      at("10.0.0.1"),
                                         at("10.0.0.2"), at("10.0.0.3"), at("::3")};
  CHECK(spindle::detail::interleave_families(mixed) ==
        std::vector<tcp::endpoint>{at("::1"), at("10.0.0.1"), at("::2"), at("10.0.0.2"), at("::3"),
                                   at("10.0.0.3")});
  const std::vector<tcp::endpoint> v4_first{at("10.0.0.1"), at("::1"), at("::2")};
  CHECK(spindle::detail::interleave_families(v4_first) ==
        std::vector<tcp::endpoint>{at("10.0.0.1"), at("::1"), at("::2")});
  const std::vector<tcp::endpoint> one_family{at("10.0.0.2"), at("10.0.0.1")};
  CHECK(spindle::detail::interleave_families(one_family) == one_family);
  CHECK(spindle::detail::interleave_families({}).empty());
}

TEST_CASE("the first address refuses: the second is tried at once and wins at time 0") {
  spindle::run(spindle_test::io_virtual(), [] {
    auto good = TcpListener::bind("127.0.0.1", 0);
    const std::vector<tcp::endpoint> endpoints{loopback(closed_port()), good.local_endpoint()};
    Stopwatch clock;
    tcp::socket s = spindle::detail::connect_first(endpoints, 250ms, "127.0.0.1");
    CHECK(clock.elapsed() == 0ns);
    CHECK(s.remote_endpoint() == good.local_endpoint());
    CHECK(live_attempts() == 0);
  });
}

TEST_CASE("the first address hangs: the second starts after the delay and wins; the first closes") {
  spindle::run(spindle_test::io_virtual(), [] {
    HangingListener hanging;
    auto good = TcpListener::bind("127.0.0.1", 0);
    const std::vector<tcp::endpoint> endpoints{hanging.endpoint(), good.local_endpoint()};
    const std::size_t fds_before = spindle_test::open_fd_count();
    Stopwatch clock;
    tcp::socket s = spindle::detail::connect_first(endpoints, 250ms, "127.0.0.1");
    CHECK(clock.elapsed() == 250ms);
    CHECK(s.remote_endpoint() == good.local_endpoint());
    CHECK(live_attempts() == 0);
    CHECK(spindle_test::open_fd_count() == fds_before + 1);  // only the winner's socket
    s.close();
    CHECK(spindle_test::open_fd_count() == fds_before);
  });
}

TEST_CASE("the delay is open_connection's happy_eyeballs_delay; one address connects directly") {
  spindle::run(spindle_test::io_virtual(), [] {
    auto good = TcpListener::bind("127.0.0.1", 0);
    Stopwatch clock;
    auto s = spindle::open_connection("localhost", good.port(), {.happy_eyeballs_delay = 10ms});
    CHECK(clock.elapsed() == 0ns);
    CHECK(s.remote_endpoint().port() == good.port());

    HangingListener hanging;
    const std::vector<tcp::endpoint> endpoints{hanging.endpoint(), good.local_endpoint()};
    Stopwatch again;
    spindle::detail::connect_first(endpoints, 10ms, "127.0.0.1");
    CHECK(again.elapsed() == 10ms);
  });
}

TEST_CASE("delay Duration::max(): the next attempt waits for a failure; a negative delay is 0") {
  spindle::run(spindle_test::io_virtual(), [] {
    HangingListener hanging;
    auto good = TcpListener::bind("127.0.0.1", 0);
    const std::vector<tcp::endpoint> endpoints{hanging.endpoint(), good.local_endpoint()};
    Stopwatch clock;
    CHECK_THROWS_AS(spindle::timeout(1h, [&] {
                      spindle::detail::connect_first(endpoints, spindle::Duration::max(), "127.0.0.1");
                    }),
                    spindle::TimeoutError);
    CHECK(clock.elapsed() == 1h);  // the good address was never tried
    CHECK(live_attempts() == 0);
    Stopwatch again;
    tcp::socket s = spindle::detail::connect_first(endpoints, spindle::Duration::min(), "127.0.0.1");
    CHECK(again.elapsed() == 0ns);
    CHECK(s.remote_endpoint() == good.local_endpoint());
  });
}

TEST_CASE("all failed: what() names host, port and each address's error; code() is the first's") {
  spindle::run(spindle_test::io_virtual(), [] {
    const std::uint16_t port = closed_port();
    const std::string p = std::to_string(port);
    const std::vector<tcp::endpoint> refused{loopback(port), loopback(port)};
    try {
      spindle::detail::connect_first(refused, 250ms, "localhost");
      FAIL("connected");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == boost::asio::error::connection_refused);
      CHECK(std::string(e.what()) == "connect localhost:" + p +
                                         ": all 2 addresses failed: 127.0.0.1:" + p +
                                         ": Connection refused; 127.0.0.1:" + p +
                                         ": Connection refused");
    }
    // A TCP connect to the broadcast address fails locally with ENETUNREACH.
    const tcp::endpoint broadcast(make_address("255.255.255.255"), port);
    const std::vector<tcp::endpoint> mixed{loopback(port), broadcast};
    Stopwatch clock;
    try {
      spindle::detail::connect_first(mixed, 250ms, "two.test");
      FAIL("connected");
    } catch (const boost::system::system_error& e) {
      CHECK(clock.elapsed() == 0ns);
      CHECK(e.code() == boost::asio::error::connection_refused);
      CHECK(std::string(e.what()) == "connect two.test:" + p +
                                         ": all 2 addresses failed: 127.0.0.1:" + p +
                                         ": Connection refused; 255.255.255.255:" + p +
                                         ": Network is unreachable");
    }
    CHECK_THROWS_AS(spindle::detail::connect_first({}, 250ms, "127.0.0.1"), std::invalid_argument);
  });
}

TEST_CASE("one address failed: \"connect host:port: error\", a name adds its address") {
  spindle::run(spindle_test::io_virtual(), [] {
    const std::uint16_t port = closed_port();
    const std::string p = std::to_string(port);
    const std::vector<tcp::endpoint> one{loopback(port)};
    auto message = [&](std::string_view host) -> std::string {
      try {
        spindle::detail::connect_first(one, 250ms, host);
      } catch (const boost::system::system_error& e) {
        CHECK(e.code() == boost::asio::error::connection_refused);
        return e.what();
      }
      return "connected";
    };
    CHECK(message("127.0.0.1") == "connect 127.0.0.1:" + p + ": Connection refused");
    CHECK(message("localhost") ==
          "connect localhost:" + p + " (127.0.0.1:" + p + "): Connection refused");
  });
}

TEST_CASE("a timeout around hanging attempts cancels them all: no fd and no fiber left") {
  spindle::run(spindle_test::io_virtual(), [] {
    HangingListener first, second;
    const std::vector<tcp::endpoint> endpoints{first.endpoint(), second.endpoint()};
    const std::size_t fds_before = spindle_test::open_fd_count();
    std::vector<std::size_t> attempts_seen;  // at 100 ms and at 300 ms
    auto watcher = spindle::spawn([&] {
      spindle::sleep(100ms);
      attempts_seen.push_back(live_attempts());
      spindle::sleep(200ms);
      attempts_seen.push_back(live_attempts());
    });
    Stopwatch clock;
    auto connect = [&] { spindle::detail::connect_first(endpoints, 250ms, "127.0.0.1"); };
    CHECK_THROWS_AS(spindle::timeout(400ms, connect), spindle::TimeoutError);
    CHECK(clock.elapsed() == 400ms);
    watcher.get();
    CHECK(attempts_seen == std::vector<std::size_t>{1, 2});
    CHECK(live_attempts() == 0);
    CHECK(spindle_test::open_fd_count() == fds_before);
  });
}

}  // TEST_SUITE
