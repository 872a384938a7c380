// The real kv_server binary (its path in $KV_SERVER) on --port 0: redis-cli against it, a
// pipelined batch, random bytes on one connection while another keeps working, SIGTERM/SIGINT →
// exit status 0. No sleeps: the server's first line says it listens; sockets block (with a
// receive timeout only as a safety net against a hung test).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kv_support.hpp"

extern char** environ;

using kv_test::cmd;

namespace {

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    std::size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::string redis_cli_path() {
  std::string p = find_on_path("redis-cli");
  if (p.empty()) {
    FAIL("redis-cli is not on PATH: these tests need it (Debian package redis-tools)");
  }
  return p;
}

std::string kv_server_path() {
  const char* p = std::getenv("KV_SERVER");
  if (!p || !*p) FAIL("KV_SERVER is not set: run kv_tests through `meson test kv_tests`");
  return p;
}

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { REQUIRE(::pipe2(fds, O_CLOEXEC) == 0); }
  ~Pipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (fds[0] >= 0) ::close(fds[0]);
    fds[0] = -1;
  }
  void close_write() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
};

// Spawns argv with stdout into `out` (if given) and stdin from `stdin_fd` (if >= 0).
pid_t spawn(const std::vector<std::string>& argv, Pipe* out, int stdin_fd = -1) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (out) posix_spawn_file_actions_adddup2(&actions, out->fds[1], STDOUT_FILENO);
  if (stdin_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0] << ": " << std::strerror(rc));
  return pid;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
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
  ServerProcess() {
    Pipe out;
    pid_ = spawn({kv_server_path(), "--host", "127.0.0.1", "--port", "0"}, &out);
    out.close_write();
    // The first line, byte by byte, so nothing after it is consumed.
    std::string line;
    char c = 0;
    while (::read(out.fds[0], &c, 1) == 1 && c != '\n') line += c;
    stdout_fd_ = ::dup(out.fds[0]);
    first_line_ = line;
    constexpr std::string_view kPrefix = "listening on 127.0.0.1:";
    REQUIRE_MESSAGE(line.rfind(kPrefix, 0) == 0, "kv_server's first line: '" << line << "'");
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(kPrefix.size())));
    REQUIRE(port_ != 0);
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
  }

  std::uint16_t port() const { return port_; }
  std::string port_string() const { return std::to_string(port_); }

  // Sends `sig` and waits for the exit; returns the wait status.
  int stop(int sig) {
    REQUIRE(::kill(pid_, sig) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return status;
  }

  std::string cli(std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> argv = {redis_cli_path(), "-h", "127.0.0.1", "-p", port_string()};
    argv.insert(argv.end(), args.begin(), args.end());
    Run r = run_program(argv, input);
    CHECK(WIFEXITED(r.status));
    CHECK(WEXITSTATUS(r.status) == 0);
    return r.out;
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string first_line_;
};

// A blocking client socket.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    timeval tv{30, 0};  // a safety net against a hung test, not synchronisation
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Client() { ::close(fd_); }

  // False if the peer has closed or reset the connection.
  bool send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  // Exactly n bytes (fewer only if the connection ends first).
  std::string receive(std::size_t n) {
    std::string out;
    char buf[4096];
    while (out.size() < n) {
      ssize_t got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
      if (got < 0 && errno == EINTR) continue;
      REQUIRE_MESSAGE(got >= 0, "recv: " << std::strerror(errno));
      if (got == 0) break;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }

  // Everything until the server closes; `reset` tells whether it ended with a reset.
  std::string receive_to_end(bool& reset) {
    std::string out;
    char buf[4096];
    reset = false;
    for (;;) {
      ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && errno == ECONNRESET) {
        reset = true;
        return out;
      }
      REQUIRE_MESSAGE(got >= 0, "recv: " << std::strerror(errno));
      if (got == 0) return out;
      out.append(buf, static_cast<std::size_t>(got));
    }
  }

  std::string request(std::string_view bytes, std::size_t reply_size) {
    REQUIRE(send_all(bytes));
    return receive(reply_size);
  }

 private:
  int fd_ = -1;
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

}  // TEST_SUITE
