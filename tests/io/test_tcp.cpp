// TcpStream / TcpListener / open_connection / resolve: buffered reads, writes, half-close, errors.
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "../support.hpp"
#include "spindle/testing.hpp"

using namespace std::chrono_literals;
using spindle::TcpListener;
using spindle::TcpStream;

namespace {

// A connected pair: {client, server side}.
std::pair<TcpStream, TcpStream> connected_pair() {
  auto listener = TcpListener::bind("127.0.0.1", 0);
  auto accepted = spindle::spawn([&] { return listener.accept(); });
  TcpStream client = spindle::open_connection("127.0.0.1", listener.port());
  return {std::move(client), accepted.get()};
}

}  // namespace

TEST_SUITE("tcp") {

TEST_CASE("read_line, read_until, read_exactly and read_some over one buffered stream") {
  spindle::run([] {
    auto [client, server] = connected_pair();
    client.write_all("first line\nsecond;part");
    client.write_all(std::string("\0\x01tail", 6));
    CHECK(server.read_line() == "first line\n");
    CHECK(server.read_until(";") == "second;");
    CHECK(server.read_exactly(4) == "part");
    char buf[16];
    std::size_t got = 0;
    while (got < 6) got += server.read_some(boost::asio::buffer(buf + got, sizeof buf - got));
    CHECK(std::string(buf, got) == std::string("\0\x01tail", 6));
  });
}

TEST_CASE("end of stream: read_some → 0, read_line → the partial line, read_exactly → IncompleteReadError") {
  spindle::run([] {
    auto [client, server] = connected_pair();
    client.write_all("abc\nxyz");
    client.shutdown_write();
    CHECK(server.read_line() == "abc\n");
    CHECK(server.read_line() == "xyz");
    CHECK(server.read_line() == "");
    char c;
    CHECK(server.read_some(boost::asio::buffer(&c, 1)) == 0);
    // Half-close: the server can still answer.
    server.write_all("reply");
    server.shutdown_write();
    try {
      client.read_exactly(10);
      FAIL("no IncompleteReadError");
    } catch (const spindle::IncompleteReadError& e) {
      CHECK(e.partial() == "reply");
      CHECK(e.expected() == 10);
      CHECK(std::string(e.what()) == "5 bytes read on a total of 10 expected bytes");
    }
  });
}

TEST_CASE("read_until beyond its limit → LimitOverrunError and the bytes stay buffered") {
  spindle::run([] {
    auto [client, server] = connected_pair();
    client.write_all(std::string(100, 'x') + "\n");
    CHECK_THROWS_AS(server.read_line(50), spindle::LimitOverrunError);
    CHECK(server.read_line() == std::string(100, 'x') + "\n");
    CHECK_THROWS_AS(server.read_until(""), std::invalid_argument);
  });
}

TEST_CASE("megabytes both ways at once: write_all parks while the peer's buffer is full") {
  spindle::run([] {
    auto [client, server] = connected_pair();
    std::string big(8 << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4096);
    auto echo = spindle::spawn([&] {
      auto writer = spindle::spawn([&] { server.write_all(big); });
      std::string got = server.read_exactly(big.size());
      writer.get();
      return got;
    });
    auto sender = spindle::spawn([&] { client.write_all(big); });
    CHECK(client.read_exactly(big.size()) == big);
    sender.get();
    CHECK(echo.get() == big);
  });
}

TEST_CASE("Asio's and Beast's synchronous algorithms work on a TcpStream from a fiber") {
  spindle::run([] {
    auto [client, server] = connected_pair();
    auto writer = spindle::spawn([&] { boost::asio::write(client, boost::asio::buffer(std::string(100000, 'q'))); });
    std::string in(100000, '\0');
    CHECK(boost::asio::read(server, boost::asio::buffer(in)) == 100000);
    CHECK(in == std::string(100000, 'q'));
    writer.get();
    client.close();
    boost::system::error_code ec;
    char c;
    CHECK(server.read_some(boost::asio::buffer(&c, 1), ec) == 0);
    CHECK(ec == boost::asio::error::eof);
  });
}

TEST_CASE("endpoints, nodelay, listener port 0") {
  spindle::run([] {
    auto listener = TcpListener::bind("127.0.0.1", 0);
    CHECK(listener.port() != 0);
    auto accepted = spindle::spawn([&] { return listener.accept(); });
    TcpStream client = spindle::open_connection("127.0.0.1", listener.port());
    TcpStream server = accepted.get();
    client.set_nodelay();
    CHECK(client.remote_endpoint().port() == listener.port());
    CHECK(server.remote_endpoint() == client.local_endpoint());
    CHECK(server.local_endpoint().address().to_string() == "127.0.0.1");
  });
}

TEST_CASE("reuse_port lets two listeners share a port; without it the second bind fails") {
  spindle::run([] {
    auto first = TcpListener::bind("127.0.0.1", 0, {.reuse_port = true});
    auto second = TcpListener::bind("127.0.0.1", first.port(), {.reuse_port = true});
    CHECK(second.port() == first.port());
    try {
      TcpListener::bind("127.0.0.1", first.port());
      FAIL("bound twice");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == boost::asio::error::address_in_use);
    }
  });
}

TEST_CASE("open_connection to a closed port → system_error connection_refused") {
  spindle::run([] {
    std::uint16_t port;
    {
      auto l = TcpListener::bind("127.0.0.1", 0);
      port = l.port();
    }
    try {
      spindle::open_connection("127.0.0.1", port);
      FAIL("connected");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == boost::asio::error::connection_refused);
    }
  });
}

TEST_CASE("resolve: numeric addresses need no lookup; localhost resolves to loopback") {
  spindle::run([] {
    auto direct = spindle::resolve("::1", "8080");
    REQUIRE(direct.size() == 1);
    CHECK(direct[0].address().to_string() == "::1");
    CHECK(direct[0].port() == 8080);
    auto local = spindle::resolve("localhost", "80");
    REQUIRE(!local.empty());
    for (auto& e : local) CHECK(e.address().is_loopback());
  });
}

TEST_CASE("a listener closed while a fiber is parked in accept() wakes it with operation_aborted") {
  spindle::run([] {
    auto listener = TcpListener::bind("127.0.0.1", 0);
    auto acceptor = spindle::spawn([&] { listener.accept(); });
    spindle::testing::wait_all_blocked();  // parked in accept
    listener.close();
    try {
      acceptor.get();
      FAIL("accept returned");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == boost::asio::error::operation_aborted);
    }
  });
}

TEST_CASE("a timeout cuts a read_line that never completes, at the exact virtual time") {
  spindle::run(spindle_test::io_virtual(), [] {
    auto [client, server] = connected_pair();
    client.write_all("no newline yet");
    spindle_test::Stopwatch sw;
    CHECK_THROWS_AS(spindle::timeout(10s, [&] { server.read_line(); }), spindle::TimeoutError);
    CHECK(sw.elapsed() == 10s);
    client.write_all("\n");
    CHECK(server.read_line() == "no newline yet\n");  // nothing read before the timeout was lost
  });
}

}  // TEST_SUITE
