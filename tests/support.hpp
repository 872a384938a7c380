#pragma once
// Test helpers shared by the suites:
//   run_virtual(body)  — spindle::testing::run_virtual: body as the main fiber, virtual clock;
//   Recorder           — an output-order recorder ("a, b, c"), optionally stamped with virtual time;
//   Stopwatch          — exact virtual-time differences via spindle::now();
//   LogCapture         — captures what spindle logs through spdlog logger "spindle";
//   run_child()        — runs a program with stdout+stderr captured, returns how it ended;
//   open_fd_count()    — this process's open file descriptors (leak checks).
//   resident_bytes()   — this process's resident memory (RSS);
//   EnvVar             — sets or clears an environment variable for one scope.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spindle.hpp"
#include "spindle/testing.hpp"

extern char** environ;

// Durations print as "1500000000ns" in failed assertions.
namespace doctest {
template <class Rep, class Period>
struct StringMaker<std::chrono::duration<Rep, Period>> {
  static String convert(const std::chrono::duration<Rep, Period>& d) {
    using namespace std::chrono;
    return String((std::to_string(duration_cast<nanoseconds>(d).count()) + "ns").c_str());
  }
};
}  // namespace doctest

namespace spindle_test {

using namespace std::chrono_literals;

inline spindle::RunOptions virtual_options() {
  return spindle::RunOptions{.clock = spindle::ClockKind::virtual_time};
}

// The virtual clock for tests with sockets or threads: time also jumps once the reactor has been
// quiet for 5 ms of real time while I/O is pending (a peer that never answers, a timeout to fire).
inline spindle::RunOptions io_virtual() {
  return spindle::RunOptions{.clock = spindle::ClockKind::virtual_time, .autojump_threshold = 5ms};
}

// Runs `body` as the main fiber under the virtual clock and returns its result.
using spindle::testing::run_virtual;

// Virtual (or real) time elapsed since construction, read through spindle::now().
class Stopwatch {
 public:
  Stopwatch() : start_(spindle::now()) {}
  spindle::Duration elapsed() const { return spindle::now() - start_; }
  spindle::TimePoint start() const { return start_; }

 private:
  spindle::TimePoint start_;
};

inline std::string format_offset(spindle::Duration d) {
  using namespace std::chrono;
  if (d % 1ms == 0ns) return std::to_string(d / 1ms) + "ms";
  return std::to_string(d.count()) + "ns";
}

// Records events in the order they happen; str() joins them with ", ".
class Recorder {
 public:
  void operator()(std::string event) { events_.push_back(std::move(event)); }
  // Records "event@<offset>" with the virtual time since start() (called inside the loop).
  void at(const std::string& event) {
    if (!origin_) throw std::logic_error("Recorder::at before Recorder::start");
    events_.push_back(event + "@" + format_offset(spindle::now() - *origin_));
  }
  void start() { origin_ = spindle::now(); }
  const std::vector<std::string>& events() const { return events_; }
  std::size_t size() const { return events_.size(); }
  std::string str() const {
    std::string out;
    for (const auto& e : events_) {
      if (!out.empty()) out += ", ";
      out += e;
    }
    return out;
  }
  void clear() { events_.clear(); }

 private:
  std::vector<std::string> events_;
  std::optional<spindle::TimePoint> origin_;
};

// While alive, everything logged through spdlog logger "spindle" goes to a string instead of
// stderr (as "<level>: <message>" lines), at every level.
class LogCapture {
 public:
  LogCapture()
      : logger_(spdlog::get("spindle")),
        saved_sinks_(logger_ ? logger_->sinks() : std::vector<spdlog::sink_ptr>{}),
        saved_level_(logger_ ? logger_->level() : spdlog::level::info),
        sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_, true)) {
    REQUIRE(logger_ != nullptr);  // the logger exists from program start
    sink_->set_pattern("%l: %v");
    logger_->sinks().clear();
    logger_->sinks().push_back(sink_);
    logger_->set_level(spdlog::level::trace);
  }
  ~LogCapture() {
    logger_->sinks() = saved_sinks_;
    logger_->set_level(saved_level_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() {
    logger_->flush();
    return out_.str();
  }
  bool contains(std::string_view s) { return text().find(s) != std::string::npos; }
  std::size_t count(std::string_view s) {
    const std::string t = text();
    std::size_t n = 0;
    for (auto p = t.find(s); p != std::string::npos; p = t.find(s, p + s.size())) ++n;
    return n;
  }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  std::vector<spdlog::sink_ptr> saved_sinks_;
  spdlog::level::level_enum saved_level_;
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

// Sets (or, given nullptr, clears) an environment variable for one scope, restoring it after.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value, 1); else unsetenv(name);
  }
  ~EnvVar() {
    if (old_) setenv(name_, old_->c_str(), 1); else unsetenv(name_);
  }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct ChildResult {
  int status = 0;      // as from waitpid
  std::string output;  // stdout and stderr, interleaved
  bool exited_with(int code) const { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
  bool killed_by(int sig) const { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }
  // Died of a segmentation fault. Under AddressSanitizer, ASan's own SEGV handler (to which
  // spindle passes faults that are not stack overflows) reports it and exits non-zero instead.
  bool died_of_segv() const {
#if defined(__SANITIZE_ADDRESS__)
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
        output.find("AddressSanitizer: SEGV") != std::string::npos) {
      return true;
    }
#endif
    return killed_by(SIGSEGV);
  }
};

// This process's resident memory in bytes (/proc/self/statm).
inline std::size_t resident_bytes() {
  std::size_t pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  REQUIRE(f);
  const int n = std::fscanf(f, "%zu %zu", &pages, &resident);
  std::fclose(f);
  REQUIRE(n == 2);
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// How many file descriptors this process has open.
inline std::size_t open_fd_count() {
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++n;
  }
  return n;
}

// Runs `child` in a forked process (stdout and stderr captured) and returns how that process ended.
// `child` returning means the process exits with status 0.
inline ChildResult in_forked_child(const std::function<void()>& child) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    dup2(fds[1], STDOUT_FILENO);
    child();
    _exit(0);
  }
  close(fds[1]);
  ChildResult r;
  char buf[1024];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) r.output.append(buf, std::size_t(n));
  close(fds[0]);
  waitpid(pid, &r.status, 0);
  return r;
}

// Runs `argv` (argv[0] = path) with `extra_env` ("NAME=value") added to this environment.
inline ChildResult run_child(const std::vector<std::string>& argv,
                             const std::vector<std::string>& extra_env = {}) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[1]);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    bool overridden = false;
    for (const auto& x : extra_env) {
      const auto name = x.substr(0, x.find('=') + 1);
      if (entry.substr(0, name.size()) == name) overridden = true;
    }
    if (!overridden) env_strings.emplace_back(entry);
  }
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  ChildResult r;
  if (rc != 0) {
    close(fds[0]);
    FAIL("posix_spawn(" << argv[0] << ") failed: " << std::strerror(rc));
    return r;
  }
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    r.output.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  while (waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
  }
  return r;
}

// The helper program tests/overflow_child: $SPINDLE_OVERFLOW_CHILD (set by meson test), else
// the file next to this test executable.
inline std::string overflow_child_path() {
  if (const char* p = std::getenv("SPINDLE_OVERFLOW_CHILD"); p && *p) return p;
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  REQUIRE(n > 0);
  std::string path(self, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/') + 1) + "overflow_child";
}

}  // namespace spindle_test
