// http_server against hostile and odd clients, as a real program over raw sockets: request
// smuggling (RFC 9112 §6.3), limits (431, 413, chunk extensions, trailers), HEAD, 100-continue,
// slowloris and a flood of idle connections under short --header-timeout / --idle-timeout, and
// graceful shutdown (idle connections closed at once, Connection: close, a second SIGTERM).
// Waits are bounded by spindle::timeout (a bound, not a pause: a hang fails the test).
#include <sys/resource.h>

#include <csignal>

#include "../support.hpp"
#include "server_process.hpp"

using namespace std::chrono_literals;
using spindle_test::ServerProcess;

namespace {

// Appends what the server sends to `out` until it closes the connection (or an error).
void read_into(spindle::TcpStream& s, std::string& out) {
  char buf[4096];
  boost::system::error_code ec;
  while (std::size_t n = s.read_some(boost::asio::buffer(buf), ec)) out.append(buf, n);
}

// Everything the server sends on one connection until it closes it (at most `bound` of waiting).
std::string read_to_end(spindle::TcpStream& s, spindle::Duration bound = 5s) {
  std::string out;
  spindle::timeout(bound, [&] { read_into(s, out); });
  return out;
}

// Sends `request` on a new connection; returns all the server answered before closing.
std::string fetch(std::uint16_t port, const std::string& request) {
  auto s = spindle::open_connection("127.0.0.1", port);
  s.write_all(request);
  return read_to_end(s);
}
std::string exchange(std::uint16_t port, const std::string& request) {
  return spindle::run([&] { return fetch(port, request); });
}

constexpr const char* kHello = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

// Parks until the server stops accepting (it began to shut down), checking every 10 ms.
void wait_until_refused(std::uint16_t port) {
  spindle::timeout(5s, [&] {
    try {
      for (;;) {
        spindle::open_connection("127.0.0.1", port).close();
        spindle::sleep(10ms);
      }
    } catch (const boost::system::system_error&) {
    }
  });
}

// Starts a POST to `target` whose 5-byte body the server asked for (100 Continue): from then on
// the server is in the middle of that request, not idle.
spindle::TcpStream start_post(std::uint16_t port, const std::string& target) {
  auto s = spindle::open_connection("127.0.0.1", port);
  s.write_all("POST " + target + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  REQUIRE(spindle::timeout(5s, [&] { return s.read_until("\r\n\r\n"); }) == "HTTP/1.1 100 Continue\r\n\r\n");
  return s;
}

std::string status_line(const std::string& answer) { return answer.substr(0, answer.find("\r\n")); }

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

std::string get_hello(std::uint16_t port) { return exchange(port, kHello); }

// Room for a flood's descriptors in this process and in the server it starts.
void raise_fd_limit() {
  rlimit r{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &r) == 0);
  r.rlim_cur = r.rlim_max;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &r) == 0);
}

}  // namespace

TEST_SUITE("http_server hardening") {

TEST_CASE("smuggling: a Transfer-Encoding whose last coding is not chunked → 400, and its body is not a request") {
  ServerProcess server("HTTP_SERVER");
  const std::string answer =
      exchange(server.port(),
               "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(status_line(answer) == "HTTP/1.1 400 Bad Request");
  CHECK(count(answer, "HTTP/1.1 ") == 1);
  CHECK(answer.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("Transfer-Encoding with Content-Length → 400, in either order; gzip before chunked → 501") {
  ServerProcess server("HTTP_SERVER");
  const std::string body = "\r\n5\r\nhello\r\n0\r\n\r\n";
  CHECK(status_line(exchange(server.port(), "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                                            "Content-Length: 5\r\n\r\nhello")) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(exchange(server.port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                            "Transfer-Encoding: chunked\r\n" + body)) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(exchange(server.port(), "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                            "Content-Length: 5\r\n" + body)) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(exchange(server.port(), "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n" +
                                                body)) == "HTTP/1.1 501 Not Implemented");
  CHECK(status_line(exchange(server.port(), "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                            "Transfer-Encoding: chunked\r\n" + body)) == "HTTP/1.1 200 OK");
}

TEST_CASE("limits: header over 8 KiB → 431, body over 1 MiB → 413, a malformed request → 400") {
  ServerProcess server("HTTP_SERVER");
  CHECK(status_line(exchange(server.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') +
                                                "\r\n\r\n")) == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(status_line(exchange(server.port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")) ==
        "HTTP/1.1 413 Payload Too Large");
  CHECK(status_line(exchange(server.port(), "GARBAGE\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(get_hello(server.port())) == "HTTP/1.1 200 OK");
}

TEST_CASE("chunk extensions and trailers are bounded: an endless extension, many extensions, a huge trailer → 413") {
  ServerProcess server("HTTP_SERVER");
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  // One chunk-size line that never ends: cut at the 8 KiB read buffer (it used to grow without bound).
  CHECK(status_line(exchange(server.port(), head + "1;ext=" + std::string(64 * 1024, 'e'))) ==
        "HTTP/1.1 413 Payload Too Large");
  // 200 one-byte chunks with 6 KiB of extensions each: 1.2 MB counted against the 1 MiB body limit.
  std::string many = head;
  for (int i = 0; i < 200; ++i) many += "1;e=" + std::string(6000, 'e') + "\r\nx\r\n";
  CHECK(status_line(exchange(server.port(), many + "0\r\n\r\n")) == "HTTP/1.1 413 Payload Too Large");
  CHECK(status_line(exchange(server.port(), head + "0\r\nX-Trailer: " + std::string(10000, 't') + "\r\n\r\n")) ==
        "HTTP/1.1 413 Payload Too Large");
  CHECK(status_line(exchange(server.port(), "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                            "Transfer-Encoding: chunked\r\n\r\n5;small=ext\r\nhello\r\n0\r\nX-T: 1\r\n\r\n")) ==
        "HTTP/1.1 200 OK");
}

TEST_CASE("HEAD: the GET answer's headers, Content-Length included, and no body") {
  ServerProcess server("HTTP_SERVER");
  const std::string answer = exchange(server.port(), "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(status_line(answer) == "HTTP/1.1 200 OK");
  CHECK(answer.find("Content-Length: 13\r\n") != std::string::npos);
  CHECK(answer.ends_with("\r\n\r\n"));
}

// Found by fuzz/http_request: Beast applies header_limit to each read's bytes, not to the whole
// header, so the fields parsed from the first read (512 bytes) were not counted.
TEST_CASE("header limit counts the whole header, also when it arrives over several reads → 431") {
  ServerProcess server("HTTP_SERVER");
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  while (request.size() < 8 * 1024 + 256) request += "X-Field: " + std::string(90, 'f') + "\r\n";
  CHECK(status_line(exchange(server.port(), request + "\r\n")) == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(status_line(get_hello(server.port())) == "HTTP/1.1 200 OK");
}

// Found by fuzz/http_request: a refusal sent its body to HEAD, which a client reads as the
// start of a next response.
TEST_CASE("HEAD refused (417, 400, 413): the refusal's headers and no body") {
  ServerProcess server("HTTP_SERVER");
  auto refusal = [](std::string_view status, std::size_t length) {
    return "HTTP/1.1 " + std::string(status) + "\r\nServer: spindle\r\nContent-Type: text/plain\r\n" +
           "Connection: close\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
  };
  CHECK(exchange(server.port(), "HEAD / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n") ==
        refusal("417 Expectation Failed", 19));
  CHECK(exchange(server.port(), "HEAD / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n") ==
        refusal("400 Bad Request", 12));
  CHECK(exchange(server.port(), "HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n") ==
        refusal("413 Payload Too Large", 18));
}

TEST_CASE("Expect: 100-continue is answered before the body is sent; a refused body → 413; other expectations → 417") {
  ServerProcess server("HTTP_SERVER");
  spindle::run([&] {
    auto s = spindle::open_connection("127.0.0.1", server.port());
    s.write_all("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    CHECK(spindle::timeout(5s, [&] { return s.read_until("\r\n\r\n"); }) == "HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all("hello");
    CHECK(status_line(read_to_end(s)) == "HTTP/1.1 200 OK");
  });
  CHECK(status_line(exchange(server.port(), "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                            "Content-Length: 2000000\r\n\r\n")) == "HTTP/1.1 413 Payload Too Large");
  CHECK(status_line(exchange(server.port(), "POST / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n"
                                            "Content-Length: 5\r\n\r\nhello")) == "HTTP/1.1 417 Expectation Failed");
}

TEST_CASE("slowloris: connections sending a header byte at a time get 408 after --header-timeout; a fresh client is answered meanwhile") {
  raise_fd_limit();
  ServerProcess server("HTTP_SERVER", {"--header-timeout", "1"});
  constexpr int kAttackers = 300;
  spindle::run([&] {
    int started = 0;
    spindle::Event all_started;
    std::vector<spindle::Task<std::string>> attackers;
    for (int i = 0; i < kAttackers; ++i) {
      attackers.push_back(spindle::spawn([&, port = server.port()] {
        auto s = spindle::open_connection("127.0.0.1", port);
        if (++started == kAttackers) all_started.set();
        const std::string header = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 's') + "\r\n\r\n";
        boost::system::error_code ec;
        std::string answer;
        for (char c : header) {  // 100 ms a byte: the header would take 13 s
          s.write_some(boost::asio::buffer(&c, 1), ec);
          if (ec || spindle::move_on_after(100ms, [&] { read_into(s, answer); })) return answer;
        }
        return std::string("the whole header went through");
      }));
    }
    all_started.wait();
    CHECK(fetch(server.port(), kHello).ends_with("Hello, World!"));
    for (auto& a : attackers) CHECK(status_line(a.get()) == "HTTP/1.1 408 Request Timeout");
  });
  CHECK(get_hello(server.port()).ends_with("Hello, World!"));
}

TEST_CASE("flood: idle connections are closed after --idle-timeout; under --max-connections a fresh client is still answered") {
  raise_fd_limit();
  ServerProcess server("HTTP_SERVER", {"--idle-timeout", "1", "--max-connections", "600"});
  constexpr int kIdle = 500;
  spindle::run([&] {
    std::vector<spindle::TcpStream> idle;
    for (int i = 0; i < kIdle; ++i) idle.push_back(spindle::open_connection("127.0.0.1", server.port()));
    CHECK(fetch(server.port(), kHello).ends_with("Hello, World!"));
    int closed = 0;
    for (auto& s : idle) closed += read_to_end(s).empty() ? 1 : 0;  // end of stream, no answer
    CHECK(closed == kIdle);
  });
  CHECK(get_hello(server.port()).ends_with("Hello, World!"));
}

TEST_CASE("SIGTERM: an idle keep-alive connection is closed at once, the request in flight is answered with Connection: close") {
  ServerProcess server("HTTP_SERVER");
  spindle::run([&] {
    auto idle = spindle::open_connection("127.0.0.1", server.port());
    idle.write_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(spindle::timeout(5s, [&] { return idle.read_until("Hello, World!"); }).starts_with("HTTP/1.1 200 OK"));
    auto busy = start_post(server.port(), "/");
    server.signal(SIGTERM);
    CHECK(read_to_end(idle).empty());  // closed without waiting for the grace period
    wait_until_refused(server.port());
    busy.write_all("hello");
    const std::string answer = read_to_end(busy);
    CHECK(status_line(answer) == "HTTP/1.1 200 OK");
    CHECK(answer.find("Connection: close\r\n") != std::string::npos);
    CHECK(answer.ends_with("Hello, World!"));
  });
  CHECK(server.wait_exit() == 0);
}

TEST_CASE("a second SIGTERM during the grace period cancels the requests left; the process still exits 0") {
  ServerProcess server("HTTP_SERVER", {"--shutdown-grace", "60"});
  spindle::run([&] {
    auto busy = start_post(server.port(), "/delay/30000");
    busy.write_all("hello");
    server.signal(SIGTERM);
    wait_until_refused(server.port());  // the first signal was handled: the grace period runs
    server.signal(SIGTERM);
    CHECK(read_to_end(busy, 20s).empty());  // cancelled: no answer
  });
  CHECK(server.wait_exit() == 0);
}

}  // TEST_SUITE
