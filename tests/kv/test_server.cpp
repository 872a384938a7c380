// The real kv_server binary (its path in $KV_SERVER) on --port 0: redis-cli against it, a
// pipelined batch, random bytes on one connection while another keeps working, SIGTERM/SIGINT →
// exit status 0, slowloris tricklers cut by --timeout. No sleeps: the server's first line says it listens; sockets block (with a
// receive timeout only as a safety net against a hung test).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <boost/system/system_error.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kv_support.hpp"
#include "server_support.hpp"

using kv_test::Client;
using kv_test::cmd;
using kv_test::find_on_path;
using kv_test::kv_server_path;
using kv_test::Pipe;
using kv_test::read_all;
using kv_test::spawn;

namespace {

std::string redis_cli_path() {
  std::string p = find_on_path("redis-cli");
  if (p.empty()) {
    FAIL("redis-cli is not on PATH: these tests need it (Debian package redis-tools)");
  }
  return p;
}

struct Run {
  int status = -1;
  std::string out;
};

// Runs a program to its end: stdout captured, stdin from `input` (through a temporary file).
Run run_program(const std::vector<std::string>& argv, const std::string& input = {}) {
  char path[] = "/tmp/kv_tests_stdin_XXXXXX";
  int in_fd = ::mkstemp(path);
  REQUIRE(in_fd >= 0);
  ::unlink(path);
  REQUIRE(::write(in_fd, input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  ::lseek(in_fd, 0, SEEK_SET);
  Pipe out;
  pid_t pid = spawn(argv, &out, in_fd);
  ::close(in_fd);
  out.close_write();
  Run r;
  r.out = read_all(out.fds[0]);
  REQUIRE(::waitpid(pid, &r.status, 0) == pid);
  return r;
}

// kv_server as a child process, listening on a free port.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> flags = {})
      : child_(with_flags({kv_server_path(), "--host", "127.0.0.1", "--port", "0"}, flags)) {
    constexpr std::string_view kPrefix = "listening on 127.0.0.1:";
    std::string line = child_.wait_for_line(kPrefix);
    REQUIRE_MESSAGE(line.rfind(kPrefix, 0) == 0, "kv_server's first line: '" << line << "'");
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(kPrefix.size())));
    REQUIRE(port_ != 0);
  }

  std::uint16_t port() const { return port_; }
  std::string port_string() const { return std::to_string(port_); }
  int stop(int sig) { return child_.stop(sig); }

  std::string cli(std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> argv = {redis_cli_path(), "-h", "127.0.0.1", "-p", port_string()};
    argv.insert(argv.end(), args.begin(), args.end());
    Run r = run_program(argv, input);
    CHECK(WIFEXITED(r.status));
    CHECK(WEXITSTATUS(r.status) == 0);
    return r.out;
  }

 private:
  static std::vector<std::string> with_flags(std::vector<std::string> argv,
                                             const std::vector<std::string>& flags) {
    argv.insert(argv.end(), flags.begin(), flags.end());
    return argv;
  }

  kv_test::ChildServer child_;
  std::uint16_t port_ = 0;
};

std::string sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST_SUITE("kv.server") {

TEST_CASE("redis-cli against kv_server: every command") {
  redis_cli_path();
  ServerProcess server;
  CHECK(server.cli({"PING"}) == "PONG\n");
  CHECK(server.cli({"PING", "hi there"}) == "hi there\n");
  CHECK(server.cli({"ECHO", "hello"}) == "hello\n");
  CHECK(server.cli({"SET", "k", "v"}) == "OK\n");
  CHECK(server.cli({"GET", "k"}) == "v\n");
  CHECK(server.cli({"GET", "nokey"}) == "\n");
  CHECK(server.cli({"SET", "k", "w", "NX"}) == "\n");
  CHECK(server.cli({"SET", "t", "v", "EX", "100"}) == "OK\n");
  CHECK(server.cli({"TTL", "t"}) == "100\n");
  CHECK(server.cli({"SET", "p", "v", "PX", "100000"}) == "OK\n");
  CHECK(server.cli({"TTL", "p"}) == "100\n");
  CHECK(server.cli({"EXPIRE", "k", "50"}) == "1\n");
  CHECK(server.cli({"TTL", "k"}) == "50\n");
  CHECK(server.cli({"TTL", "nokey"}) == "-2\n");
  CHECK(server.cli({"INCR", "n"}) == "1\n");
  CHECK(server.cli({"INCR", "n"}) == "2\n");
  CHECK(server.cli({"INCR", "k"}) == "ERR value is not an integer or out of range\n\n");
  CHECK(server.cli({"MSET", "a", "1", "b", "2"}) == "OK\n");
  CHECK(server.cli({"MGET", "a", "nokey", "b"}) == "1\n\n2\n");
  CHECK(server.cli({"EXISTS", "a", "b", "nokey"}) == "2\n");
  CHECK(server.cli({"DEL", "a", "nokey"}) == "1\n");
  CHECK(sorted_lines(server.cli({"KEYS", "[bn]"})) == "b\nn\n");  // KEYS's order is the map's
  CHECK(server.cli({"FOO", "bar"}) ==
        "ERR unknown command 'FOO', with args beginning with: 'bar' \n\n");
  CHECK(server.cli({"GET"}) == "ERR wrong number of arguments for 'get' command\n\n");
  CHECK(server.cli({"FLUSHALL"}) == "OK\n");
  CHECK(server.cli({"KEYS", "*"}) == "\n");  // redis-cli prints an empty array as an empty line
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("redis-cli in interactive-like use: several commands from stdin on one connection") {
  ServerProcess server;
  std::string out = server.cli({}, "SET x 10\nINCR x\nGET x\nDEL x\nGET x\n");
  CHECK(out == "OK\n11\n11\n1\n\n");
}

TEST_CASE("a pipelined batch: redis-cli --pipe, and raw bytes in one write") {
  ServerProcess server;
  std::string batch;
  for (int i = 0; i < 2000; ++i) batch += cmd("SET", "key:" + std::to_string(i), std::to_string(i));
  std::string out = server.cli({"--pipe"}, batch);
  CHECK(out.find("errors: 0, replies: 2000") != std::string::npos);
  CHECK(server.cli({"GET", "key:1999"}) == "1999\n");

  Client c(server.port());
  std::string request;
  std::string expected;
  for (int i = 0; i < 500; ++i) {
    std::string k = "key:" + std::to_string(i);
    request += cmd("INCR", k) + cmd("GET", k) + cmd("DEL", k) + "PING\r\n";
    std::string v = std::to_string(i + 1);
    expected += ":" + v + "\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n:1\r\n+PONG\r\n";
  }
  CHECK(c.request(request, expected.size()) == expected);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("random bytes on one connection: errors or a close, never a crash; others keep working") {
  ServerProcess server;
  Client healthy(server.port());
  CHECK(healthy.request(cmd("SET", "alive", "yes"), 5) == "+OK\r\n");
  std::mt19937_64 rng(99);
  for (int round = 0; round < 40; ++round) {
    CAPTURE(round);
    std::string junk(1 + rng() % 3000, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng() & 0xff);
    if (round % 2 == 0) junk[0] = '*';  // into the multibulk parser
    if (round % 4 == 1) junk = cmd("SET", "k", "v") + junk;
    Client bad(server.port());
    bool delivered = bad.send_all(junk);
    bad.shutdown_write();
    bool reset = false;
    std::string replies = bad.receive_to_end(reset);
    if (delivered && !reset) {
      CHECK(kv_test::resp_values(replies).has_value());
    } else if (!replies.empty()) {
      CHECK(std::string_view("+-:$*").find(replies[0]) != std::string_view::npos);
    }
    CHECK(healthy.request(cmd("GET", "alive"), 9) == "$3\r\nyes\r\n");
  }
  // A protocol error: the error reply, then the server closes this connection.
  Client bad(server.port());
  REQUIRE(bad.send_all(cmd("PING") + "*1\r\n$-7\r\n"));
  bool reset = false;
  CHECK(bad.receive_to_end(reset) == "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
  CHECK(healthy.request("PING\r\n", 7) == "+PONG\r\n");
  CHECK(server.cli({"GET", "alive"}) == "yes\n");
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("SIGTERM and SIGINT: graceful shutdown, exit status 0") {
  {
    ServerProcess server;
    CHECK(server.cli({"PING"}) == "PONG\n");
    int status = server.stop(SIGTERM);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  {
    ServerProcess server;
    int status = server.stop(SIGINT);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  {
    // An idle client connected: the server still stops (after its grace period) and the client
    // sees the connection end.
    ServerProcess server;
    Client idle(server.port());
    CHECK(idle.request(cmd("PING"), 7) == "+PONG\r\n");
    int status = server.stop(SIGTERM);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    bool reset = false;
    CHECK(idle.receive_to_end(reset) == "");
  }
}

// Slowloris: 200 connections each trickle an endless command one byte per 100 ms against
// --timeout 1. Every one of them is cut (a write fails once the server has closed), and a fresh
// client is answered while they are all connected. Asserts what happened, never how fast.
TEST_CASE("slowloris against --timeout 1: every trickler is cut, a fresh client is answered") {
  constexpr int kAttackers = 200;
  constexpr int kMaxBytes = 600;  // 60 s of trickling: a safety net, far past the 1 s timeout
  ServerProcess server({"--timeout", "1"});
  const std::uint16_t port = server.port();
  spindle::run([&] {
    int connected = 0;
    spindle::Event all_connected;
    auto trickle = [&] {
      auto s = spindle::open_connection("127.0.0.1", port);
      const std::string head = "*2\r\n$4\r\nECHO\r\n$1000000\r\n";
      if (++connected == kAttackers) all_connected.set();
      for (int i = 0; i < kMaxBytes; ++i) {
        const char byte = i < static_cast<int>(head.size()) ? head[i] : 'x';
        try {
          s.write_all(std::string_view(&byte, 1));
        } catch (const boost::system::system_error&) {
          return true;  // the server closed this connection
        }
        spindle::sleep(std::chrono::milliseconds(100));
      }
      return false;
    };
    std::vector<spindle::Task<bool>> attackers;
    for (int i = 0; i < kAttackers; ++i) attackers.push_back(spindle::spawn(trickle));
    all_connected.wait();

    auto fresh = spindle::open_connection("127.0.0.1", port);
    fresh.write_all(cmd("SET", "k", "v") + cmd("GET", "k"));
    CHECK(fresh.read_exactly(12) == "+OK\r\n$1\r\nv\r\n");

    int cut = 0;
    for (bool was_cut : spindle::gather(attackers)) cut += was_cut ? 1 : 0;
    CHECK(cut == kAttackers);
  });
  CHECK(server.cli({"GET", "k"}) == "v\n");
  CHECK(server.stop(SIGTERM) == 0);
}

}  // TEST_SUITE
