// kv's connection loop in-process, over real sockets under the virtual clock (io_virtual) and over
// testing::stream_pair (no sockets: pure virtual time): the query buffer limit closes a connection
// whose unfinished command outgrows it (and only that one), and --timeout closes a connection that
// completes no command for N seconds — also while it trickles a command byte by byte — at exactly
// that virtual time.
#include <doctest/doctest.h>

#include <boost/system/system_error.hpp>
#include <chrono>
#include <string>

#include "../support.hpp"
#include "spindle/testing.hpp"
#include "connection.hpp"
#include "kv_support.hpp"

using namespace std::chrono_literals;
using kv_test::cmd;

namespace {

// A kv server on a free port whose connections use `options`.
spindle::Server start_kv(kv::Store& store, const kv::ConnectionOptions& options) {
  return spindle::start_server("127.0.0.1", 0, [&store, options](spindle::TcpStream s) {
    kv::serve_connection(std::move(s), store, options);
  });
}

// Everything the server sends until it closes; `reset` says whether it ended with a reset (the
// server closed with bytes of ours unread). A server that never closes fails the test with a
// TimeoutError after a virtual minute instead of hanging it.
template <class Stream>
std::string read_to_end(Stream& s, bool& reset) {
  std::string out;
  char buf[4096];
  reset = false;
  spindle::timeout(1min, [&] {
    try {
      while (std::size_t n = s.read_some(boost::asio::buffer(buf))) out.append(buf, n);
    } catch (const boost::system::system_error&) {
      reset = true;
    }
  });
  return out;
}

constexpr std::size_t kLimit = 1 << 20;  // the smallest limit Redis allows, 1mb

}  // namespace

TEST_SUITE("kv.connection") {
  TEST_CASE("an unfinished command past the query buffer limit closes its connection, no reply") {
    spindle::run(spindle_test::io_virtual(), [] {
      kv::Store store;
      auto server = start_kv(store, {.query_buffer_limit = kLimit});
      auto bystander = spindle::open_connection("127.0.0.1", server.port());
      bystander.write_all(cmd("SET", "alive", "yes"));
      CHECK(bystander.read_exactly(5) == "+OK\r\n");

      // A value of 2 MB announced, limit + 1 bytes of the command sent: closed, nothing answered.
      auto hostile = spindle::open_connection("127.0.0.1", server.port());
      std::string head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n";
      hostile.write_all(head + std::string(kLimit + 1 - head.size(), 'x'));
      bool reset = false;
      CHECK(read_to_end(hostile, reset) == "");
      CHECK(store.find("k") == nullptr);

      // Up to the limit is fine, and the limit is on one unfinished command, not on a batch.
      auto big = spindle::open_connection("127.0.0.1", server.port());
      std::string value(kLimit - 64, 'v');
      std::string batch = cmd("SET", "a", value) + cmd("SET", "b", value) + cmd("SET", "c", value);
      big.write_all(batch);
      CHECK(big.read_exactly(15) == "+OK\r\n+OK\r\n+OK\r\n");
      REQUIRE(store.find("c") != nullptr);
      CHECK(*store.find("c") == value);

      bystander.write_all(cmd("GET", "alive"));
      CHECK(bystander.read_exactly(9) == "$3\r\nyes\r\n");
      server.close();
    });
  }

  TEST_CASE("--timeout: closed N s after the last completed command, trickled bytes do not count") {
    spindle::run(spindle_test::io_virtual(), [] {
      kv::Store store;
      auto server = start_kv(store, {.idle_timeout = 10s});
      auto client = spindle::open_connection("127.0.0.1", server.port());
      spindle::sleep(9s);
      client.write_all(cmd("PING"));  // 9 s idle: still served, and the clock starts again
      CHECK(client.read_exactly(7) == "+PONG\r\n");
      const auto last_command = spindle::now();

      // A command trickled one byte a second (at +0.5 s, +1.5 s, ...), never finished: cut 10 s
      // after the PING, with every byte sent so far read (a FIN, not a reset).
      std::string slow = "*2\r\n$4\r\nECHO\r\n$100\r\n" + std::string(100, 'z');
      auto trickler = spindle::spawn([&] {
        spindle::sleep(500ms);
        for (char c : slow) {
          client.write_all(std::string_view(&c, 1));
          spindle::sleep(1s);
        }
      });
      bool reset = false;
      CHECK(read_to_end(client, reset) == "");
      CHECK_FALSE(reset);
      CHECK(spindle::now() - last_command == 10s);
      trickler.cancel();
      trickler.join();
      CHECK(server.connections() == 0);
      server.close();
    });
  }

  TEST_CASE("--timeout 0 (the default): an idle connection is never closed") {
    spindle::run(spindle_test::io_virtual(), [] {
      kv::Store store;
      auto server = start_kv(store, {});
      auto client = spindle::open_connection("127.0.0.1", server.port());
      spindle::sleep(std::chrono::hours(24 * 365));
      client.write_all(cmd("PING"));
      CHECK(client.read_exactly(7) == "+PONG\r\n");
      server.close();
    });
  }

  TEST_CASE("over testing::stream_pair: pipelined commands answered in one batch, FIN after QUIT") {
    spindle::testing::run_virtual([] {
      kv::Store store;
      auto [client, server_end] = spindle::testing::stream_pair();
      auto connection = spindle::spawn(
          [&store](spindle::MemoryStream s) { kv::serve_connection(std::move(s), store); },
          std::move(server_end));
      client.write_all(cmd("SET", "k", "v") + cmd("GET", "k") + cmd("QUIT") + cmd("GET", "k"));
      bool reset = false;
      CHECK(read_to_end(client, reset) == "+OK\r\n$1\r\nv\r\n+OK\r\n");  // nothing after QUIT
      CHECK_FALSE(reset);
      connection.get();
    });
  }

  TEST_CASE("over testing::stream_pair: --timeout cuts a trickling client at exactly 10 s") {
    spindle::testing::run_virtual([] {
      kv::Store store;
      auto [client, server_end] = spindle::testing::stream_pair();
      auto connection = spindle::spawn(
          [&store](spindle::MemoryStream s) { kv::serve_connection(std::move(s), store, {.idle_timeout = 10s}); },
          std::move(server_end));
      spindle::sleep(9s);
      client.write_all(cmd("PING"));
      CHECK(client.read_exactly(7) == "+PONG\r\n");
      const auto last_command = spindle::now();
      auto trickler = spindle::spawn([&client] {
        for (char c : std::string("*2\r\n$4\r\nECHO\r\n$100\r\n") + std::string(100, 'z')) {
          spindle::sleep(1s);
          client.write_all(std::string_view(&c, 1));
        }
      });
      bool reset = false;
      CHECK(read_to_end(client, reset) == "");
      CHECK(spindle::now() - last_command == 10s);
      connection.get();
      trickler.cancel();
      trickler.join();
    });
  }

}  // TEST_SUITE
