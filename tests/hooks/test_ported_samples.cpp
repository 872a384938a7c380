// The ported samples (samples/ported/) as real programs: posix_echo_server with 1,000 clients
// connected at once, and fetch_urls (libcurl's easy API) against spindle's http_server and
// against a server that never answers.
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "kv/server_support.hpp"
#include "loopback.hpp"
#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {

std::string program(const char* env) {
  const char* path = std::getenv(env);
  REQUIRE_MESSAGE(path, env << " is not set (run through meson test)");
  return path;
}

std::uint16_t port_of(const std::string& listening_line) {
  return static_cast<std::uint16_t>(std::stoi(listening_line.substr(listening_line.rfind(':') + 1)));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// A listener that accepts (into its backlog) and never answers.
struct SilentServer {
  std::uint16_t port = 0;
  int fd = hooks_test::loopback_listener(port);
  ~SilentServer() { ::close(fd); }
};

}  // namespace

TEST_SUITE("hooks") {

TEST_CASE("posix_echo_server: 1,000 clients connected at once, each echoed byte-exactly") {
  constexpr int kClients = 1000;
  rlimit lim{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
  REQUIRE_MESSAGE(lim.rlim_max >= 2 * kClients + 100, "RLIMIT_NOFILE hard limit " << lim.rlim_max);
  lim.rlim_cur = lim.rlim_max;  // for this process's clients and, inherited, for the server
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lim) == 0);
  kv_test::ChildServer server({program("POSIX_ECHO_SERVER"), "--host", "127.0.0.1", "--port", "0"});
  const std::uint16_t port = port_of(server.wait_for_line("listening on 127.0.0.1:"));
  int echoed = 0;
  run([&] {
    Barrier all_connected(kClients);
    std::vector<Task<void>> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.push_back(spawn([&, i] {
        auto s = open_connection("127.0.0.1", port);
        s.write_all(std::to_string(i) + ":" + std::string(static_cast<std::size_t>(i % 97), 'x') + "\n");
        const std::string line = s.read_line();
        all_connected.wait();  // every connection is still open on both sides here
        if (line == std::to_string(i) + ":" + std::string(static_cast<std::size_t>(i % 97), 'x') + "\n") {
          ++echoed;
        }
      }));
    }
    for (auto& c : clients) c.join();
  });
  CHECK(echoed == kClients);
}

TEST_CASE("fetch_urls: 50 URLs from http_server at once with curl_easy_perform, in order") {
  kv_test::ChildServer server({program("HTTP_SERVER"), "--host", "127.0.0.1", "--port", "0"});
  const std::string base =
      "http://127.0.0.1:" + std::to_string(port_of(server.wait_for_line("listening on 127.0.0.1:")));
  // Each answer takes 200 ms: one after another they would take 10 s, past the 5 s timeout.
  const std::string slow = base + "/delay/200";
  const ChildResult r = run_child({program("FETCH_URLS"), "--timeout", "5", "--repeat", "50", slow});
  INFO(r.output);
  REQUIRE(r.exited_with(0));
  const auto lines = lines_of(r.output);
  REQUIRE(lines.size() == 51);
  for (std::size_t i = 0; i < 50; ++i) CHECK(lines[i] == "200 13 bytes " + slow);
  CHECK(lines[50].starts_with("50 URLs in "));
  // Before the port: the same program, one URL after another.
  const ChildResult before = run_child({program("FETCH_URLS"), "--sequential", base + "/", base + "/nope"});
  INFO(before.output);
  REQUIRE(before.exited_with(0));
  const auto seq = lines_of(before.output);
  REQUIRE(seq.size() == 3);
  CHECK(seq[0] == "200 13 bytes " + base + "/");
  CHECK(seq[1] == "404 9 bytes " + base + "/nope");
}

TEST_CASE("fetch_urls: a timeout cuts 50 transfers to a silent server and leaves nothing open") {
  SilentServer silent;
  const std::string url = "http://127.0.0.1:" + std::to_string(silent.port) + "/";
  const ChildResult r = run_child({program("FETCH_URLS"), "--timeout", "0.3", "--repeat", "50", url});
  INFO(r.output);
  CHECK(r.exited_with(1));
  const auto lines = lines_of(r.output);
  REQUIRE(lines.size() == 52);
  CHECK(lines[0] == "timed out after 0.3 s; left open by the cut transfers: 0 sockets, 0 threads");
  for (std::size_t i = 1; i <= 50; ++i) {
    CHECK(lines[i] == "cut by the timeout " + url);
  }
  CHECK(lines[51].starts_with("50 URLs in "));
}

}  // TEST_SUITE
