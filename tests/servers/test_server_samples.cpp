// The server samples as real programs: echo_server (nc and 100 concurrent spindle clients),
// http_server (curl: hello, 404, keep-alive; Beast client), and SIGTERM during an in-flight
// request: the request finishes, new connections are refused, the process exits 0.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <csignal>

#include "../support.hpp"
#include "server_process.hpp"

using spindle_test::ServerProcess;
namespace http = boost::beast::http;

namespace {

std::string shell_output(const std::string& command) {
  auto r = spindle_test::run_child({"/bin/sh", "-c", command});
  REQUIRE_MESSAGE(WIFEXITED(r.status), command);
  return r.output;
}

std::string require_tool(const char* tool) {
  std::string found = shell_output(std::string("command -v ") + tool);
  REQUIRE_MESSAGE(!found.empty(), tool << " is not installed (tools/test installs it)");
  return tool;
}

http::response<http::string_body> get(spindle::TcpStream& s, const std::string& target) {
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(s, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(s, buffer, res);
  return res;
}

}  // namespace

TEST_SUITE("server samples") {

TEST_CASE("echo_server echoes what nc sends and closes when nc is done") {
  ServerProcess server("ECHO_SERVER");
  const std::string nc = require_tool("nc");
  CHECK(shell_output("printf 'hello\\nworld\\n' | " + nc + " -N 127.0.0.1 " + std::to_string(server.port())) ==
        "hello\nworld\n");
}

TEST_CASE("echo_server serves 100 concurrent clients byte-exactly, then stops on SIGINT with status 0") {
  ServerProcess server("ECHO_SERVER");
  spindle::run([&] {
    std::vector<spindle::Task<bool>> clients;
    for (int i = 0; i < 100; ++i) {
      clients.push_back(spindle::spawn([i, port = server.port()] {
        auto s = spindle::open_connection("127.0.0.1", port);
        std::string msg(1000 + i, static_cast<char>('a' + i % 26));
        s.write_all(msg);
        return s.read_exactly(msg.size()) == msg;
      }));
    }
    for (auto& c : clients) CHECK(c.get());
  });
  server.signal(SIGINT);
  CHECK(server.wait_exit() == 0);
}

TEST_CASE("http_server answers curl: hello, 404, and keeps the connection alive") {
  ServerProcess server("HTTP_SERVER");
  const std::string curl = require_tool("curl");
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  CHECK(shell_output(curl + " -s " + base + "/") == "Hello, World!");
  CHECK(shell_output(curl + " -s -o /dev/null -w '%{http_code}' " + base + "/nope") == "404");
  CHECK(shell_output(curl + " -s -w ' %{num_connects}\\n' " + base + "/ " + base + "/") ==
        "Hello, World! 1\nHello, World! 0\n");
}

TEST_CASE("SIGTERM: the in-flight request finishes, new connections are refused, exit status 0") {
  ServerProcess server("HTTP_SERVER");
  spindle::run([&] {
    auto s = spindle::open_connection("127.0.0.1", server.port());
    CHECK(get(s, "/").body() == "Hello, World!");  // the connection is accepted and being served
    auto in_flight = spindle::spawn([&] { return get(s, "/delay/300"); });
    spindle::yield_now();  // the request is written
    server.signal(SIGTERM);
    auto res = in_flight.get();
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "Hello, World!");
    CHECK_THROWS_AS(spindle::open_connection("127.0.0.1", server.port()), boost::system::system_error);
  });
  CHECK(server.wait_exit() == 0);
}

TEST_CASE("--port outside 0-65535 or not a number: a message naming it, exit status 2") {
  const char* path = std::getenv("ECHO_SERVER");
  REQUIRE_MESSAGE(path != nullptr, "ECHO_SERVER is not set (run through meson test)");
  for (const std::string bad : {"70000", "-1", "80x", ""}) {
    const auto r = spindle_test::run_child({path, "--port=" + bad});
    CHECK(r.exited_with(2));
    CHECK(r.output.starts_with(std::string(path) + ": --port: '" + bad +
                               "' is not a port number (0-65535)\n"));
  }
}

}  // TEST_SUITE
