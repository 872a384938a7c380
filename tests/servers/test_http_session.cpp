// http_server's connection handler (httpd::serve_session with hello_routes) over
// testing::stream_pair, on the virtual clock: no sockets, no process, exact times.
#include <doctest/doctest.h>

#include <boost/asio/buffer.hpp>
#include <chrono>
#include <string>

#include "http_session.hpp"
#include "routes.hpp"
#include "spindle.hpp"
#include "spindle/testing.hpp"

using namespace std::chrono_literals;
namespace testing = spindle::testing;

namespace {

std::string read_to_end(spindle::MemoryStream& s) {
  std::string out;
  char buf[4096];
  boost::system::error_code ec;
  while (std::size_t n = s.read_some(boost::asio::buffer(buf), ec)) out.append(buf, n);
  return out;
}

const std::string kHello =
    "HTTP/1.1 200 OK\r\nServer: spindle\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
    "Hello, World!";

// Serves one connection over a stream pair; the returned task ends with the session.
spindle::Task<void> serve(spindle::MemoryStream server_end, httpd::SessionOptions options = {}) {
  return spindle::spawn([options](spindle::MemoryStream s) { httpd::serve_session(s, httpd::hello_routes, options); },
                        std::move(server_end));
}

}  // namespace

TEST_SUITE("http_session") {
  TEST_CASE("keep-alive: two requests on one connection, then the client's FIN ends the session") {
    testing::run_virtual([] {
      auto [client, server_end] = testing::stream_pair();
      auto session = serve(std::move(server_end));
      client.write_all("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\n\r\n");
      client.shutdown_write();
      CHECK(read_to_end(client) ==
            kHello +
                "HTTP/1.1 404 Not Found\r\nServer: spindle\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n"
                "not found");
      session.get();
    });
  }

  TEST_CASE("/delay/250 answers after exactly 250 ms of virtual time") {
    testing::run_virtual([] {
      auto [client, server_end] = testing::stream_pair();
      auto session = serve(std::move(server_end));
      const auto t0 = spindle::now();
      client.write_all("GET /delay/250 HTTP/1.1\r\nHost: a\r\n\r\n");
      CHECK(client.read_exactly(kHello.size()) == kHello);
      CHECK(spindle::now() - t0 == 250ms);
      client.close();
      session.get();
    });
  }

  TEST_CASE("a header that stops arriving is answered 408 at exactly header_timeout") {
    testing::run_virtual([] {
      auto [client, server_end] = testing::stream_pair();
      auto session = serve(std::move(server_end), {.header_timeout = 3s});
      const auto t0 = spindle::now();
      client.write_all("GET / HTTP/1.1\r\nHost: a\r\n");  // no blank line: never complete
      const std::string answer = read_to_end(client);
      CHECK(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"));
      CHECK(answer.find("Connection: close\r\n") != std::string::npos);
      CHECK(spindle::now() - t0 == 3s);
      client.close();
      session.get();
    });
  }
}
