// testing::stream_pair: two connected in-memory streams with TcpStream's reading and writing API.
// Bytes in order both ways, a bounded buffer per direction (a writer parks), half-close, close and
// broken pipes as on a socket, cancellation that loses nothing, durable waits (the virtual clock
// jumps through them; a wait nobody can end is a DeadlockError), and Beast's sync HTTP over it.
#include <doctest/doctest.h>

#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <string>

#include "spindle.hpp"
#include "spindle/doctest.hpp"
#include "spindle/testing.hpp"

using namespace std::chrono_literals;
namespace testing = spindle::testing;
namespace http = boost::beast::http;

namespace {

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

boost::system::error_code code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const boost::system::system_error& e) {
    return e.code();
  }
  return {};
}

}  // namespace

TEST_SUITE("stream_pair") {
  SPINDLE_TEST_CASE("bytes arrive in order both ways, through every read call") {
    auto [client, server] = testing::stream_pair();
    auto echo = spindle::spawn([&server] {
      while (true) {
        std::string line = server.read_line();
        if (line.empty()) break;
        server.write_all("echo " + line);
      }
      server.write_all("bye\n");
      server.shutdown_write();
    });
    client.write_all("one\ntwo\n");
    CHECK(client.read_line() == "echo one\n");
    CHECK(client.read_exactly(9) == "echo two\n");
    client.write_all("three\n");
    CHECK(client.read_until("three") == "echo three");
    client.shutdown_write();
    CHECK(client.read_line() == "\n");
    CHECK(client.read_line() == "bye\n");
    CHECK(client.read_line() == "");  // end of stream: the server shut its side down
    echo.get();
  }

  SPINDLE_TEST_CASE("a writer parks while the peer's buffer is full, and nothing is lost") {
    auto [a, b] = testing::stream_pair();
    const std::string data = pattern(5 * spindle::kMemoryPipeCapacity + 123);
    bool written = false;
    auto writer = spindle::spawn([&] {
      a.write_all(data);
      written = true;
    });
    testing::wait_all_blocked();
    CHECK_FALSE(written);  // parked: only kMemoryPipeCapacity bytes fit
    std::string first = b.read_exactly(spindle::kMemoryPipeCapacity);
    CHECK(first == data.substr(0, spindle::kMemoryPipeCapacity));
    testing::wait_all_blocked();
    CHECK_FALSE(written);
    std::string rest = b.read_exactly(data.size() - first.size());
    CHECK(first + rest == data);
    writer.get();
    CHECK(written);
  }

  SPINDLE_TEST_CASE("half-close, close and writes to a closed peer behave as on a socket") {
    auto [a, b] = testing::stream_pair();
    a.write_all("last words");
    a.shutdown_write();
    CHECK(b.read_line() == "last words");  // end of stream after what was written
    char buf[8];
    boost::system::error_code ec;
    CHECK(b.read_some(boost::asio::buffer(buf), ec) == 0);
    CHECK(ec == boost::asio::error::eof);
    b.write_all("still open the other way\n");  // the half-closed side can still read
    CHECK(a.read_line() == "still open the other way\n");

    b.close();
    CHECK_FALSE(b.is_open());
    CHECK(code_of([&] { a.write_all("into the void"); }) == boost::asio::error::broken_pipe);
    CHECK(code_of([&] { b.write_all("x"); }) == boost::asio::error::bad_descriptor);
    CHECK(code_of([&] { b.read_line(); }) == boost::asio::error::bad_descriptor);
    CHECK(a.read_line() == "");
  }

  SPINDLE_TEST_CASE("close() from another fiber wakes this stream's parked read with operation_aborted") {
    auto [a, b] = testing::stream_pair();
    boost::system::error_code seen;
    auto reader = spindle::spawn([&] { seen = code_of([&] { a.read_line(); }); });
    testing::wait_all_blocked();
    a.close();
    reader.get();
    CHECK(seen == boost::asio::error::operation_aborted);
    CHECK(code_of([&] { b.write_all("x"); }) == boost::asio::error::broken_pipe);
  }

  SPINDLE_TEST_CASE("a cancelled read takes nothing: the next read gets every byte") {
    auto [a, b] = testing::stream_pair();
    auto reader = spindle::spawn([&] { return a.read_exactly(6); });
    testing::wait_all_blocked();
    reader.cancel();
    reader.join();
    CHECK(reader.cancelled());
    b.write_all("abcdef");
    CHECK(a.read_exactly(6) == "abcdef");
    b.write_all("g");
    CHECK(a.read_exactly(1) == "g");
  }

  SPINDLE_TEST_CASE("waits on it are durable: the virtual clock jumps through them") {
    auto [a, b] = testing::stream_pair();
    const auto t0 = spindle::now();
    CHECK_THROWS_AS(spindle::timeout(30s, [&] { a.read_line(); }), spindle::TimeoutError);
    CHECK(spindle::now() - t0 == 30s);
    auto late = spindle::spawn([&] {
      spindle::sleep(2h);
      b.write_all("finally\n");
    });
    CHECK(a.read_line() == "finally\n");
    CHECK(spindle::now() - t0 == 30s + 2h);
    late.get();
  }

  TEST_CASE("a read nobody can ever satisfy ends in a DeadlockError that names it") {
    std::string what;
    try {
      testing::run_virtual([] {
        auto [a, b] = testing::stream_pair();
        a.read_line();
      });
    } catch (const spindle::DeadlockError& e) {
      what = e.what();
    }
    CHECK(what.find("deadlock: every fiber is parked") == 0);
    CHECK(what.find("stream_pair read") != std::string::npos);
  }

  SPINDLE_TEST_CASE("Beast's synchronous HTTP runs over it") {
    auto [client, server] = testing::stream_pair();
    auto responder = spindle::spawn([&server] {
      boost::beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(server, buf, req);
      http::response<http::string_body> res{http::status::ok, 11};
      res.body() = "you asked for " + std::string(req.target());
      res.prepare_payload();
      http::write(server, res);
    });
    http::request<http::string_body> req{http::verb::get, "/hello", 11};
    http::write(client, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(client, buf, res);
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "you asked for /hello");
    responder.get();
  }
}
