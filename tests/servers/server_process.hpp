#pragma once
// A server sample run as a child process for a test: started with `--host 127.0.0.1 --port 0`,
// its first stdout line ("listening on 127.0.0.1:PORT") gives the port. The destructor kills and
// reaps it if the test did not stop it.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace spindle_test {

class ServerProcess {
 public:
  // `env_var` names the environment variable (set by meson) that holds the program's path.
  explicit ServerProcess(const char* env_var, std::vector<std::string> extra_args = {}) {
    const char* path = std::getenv(env_var);
    REQUIRE_MESSAGE(path != nullptr, env_var << " is not set (run through meson test)");
    std::vector<std::string> args = {path, "--host", "127.0.0.1", "--port", "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    const int rc = posix_spawn(&pid_, path, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fds[0];
    REQUIRE_MESSAGE(rc == 0, "posix_spawn(" << path << "): " << std::strerror(rc));
    first_line_ = read_line(10'000);
    const std::string prefix = "listening on 127.0.0.1:";
    REQUIRE_MESSAGE(first_line_.starts_with(prefix), "first line was '" << first_line_ << "'");
    port_ = static_cast<std::uint16_t>(std::stoi(first_line_.substr(prefix.size())));
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait_exit();
    }
    if (out_ >= 0) close(out_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& first_line() const { return first_line_; }
  void signal(int sig) { REQUIRE(kill(pid_, sig) == 0); }
  // Waits for the process to end: its exit status, or -signal if a signal killed it.
  int wait_exit() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  // One line of the child's stdout, waiting at most `timeout_ms` for it (a bound, not a pause).
  std::string read_line(int timeout_ms) {
    std::string line;
    char c;
    for (;;) {
      pollfd p{out_, POLLIN, 0};
      REQUIRE_MESSAGE(poll(&p, 1, timeout_ms) == 1, "the server printed no first line in time");
      if (read(out_, &c, 1) != 1 || c == '\n') return line;
      line += c;
    }
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::uint16_t port_ = 0;
  std::string first_line_;
};

}  // namespace spindle_test
