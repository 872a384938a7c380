#pragma once
// Helpers for kv_tests that run real servers as child processes and talk to them over blocking
// sockets: find_on_path, Pipe, spawn, read_all, kv_server_path() (from $KV_SERVER), ChildServer
// (a child whose stdout is read line by line until it says it is ready; SIGKILLed and reaped on
// destruction), Client (a blocking socket with a receive timeout as a safety net against a hung
// test, not as synchronisation).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace kv_test {

inline std::string find_on_path(const std::string& name) {
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
inline pid_t spawn(const std::vector<std::string>& argv, Pipe* out, int stdin_fd = -1) {
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

inline std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

inline std::string kv_server_path() {
  const char* p = std::getenv("KV_SERVER");
  if (!p || !*p) FAIL("KV_SERVER is not set: run kv_tests through `meson test kv_tests`");
  return p;
}

// A server as a child process with its stdout on a pipe. wait_for_line(prefix) reads stdout byte
// by byte (so nothing after it is consumed) until a line containing `text`; FAILs if the child
// ends first, quoting what it printed.
class ChildServer {
 public:
  explicit ChildServer(const std::vector<std::string>& argv) {
    Pipe out;
    pid_ = spawn(argv, &out);
    out.close_write();
    stdout_fd_ = ::dup(out.fds[0]);
  }
  ~ChildServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
  }
  ChildServer(const ChildServer&) = delete;
  ChildServer& operator=(const ChildServer&) = delete;

  // The first line that contains `text`.
  std::string wait_for_line(std::string_view text) {
    std::string printed;
    for (;;) {
      std::string line;
      char c = 0;
      ssize_t n = 0;
      while ((n = ::read(stdout_fd_, &c, 1)) == 1 && c != '\n') line += c;
      if (line.find(text) != std::string::npos) return line;
      printed += line + "\n";
      if (n != 1)
        FAIL("the server ended before printing '" << text << "'; it printed:\n" << printed);
    }
  }

  // Sends `sig` and waits for the exit; returns the wait status.
  int stop(int sig) {
    REQUIRE(::kill(pid_, sig) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
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

}  // namespace kv_test
