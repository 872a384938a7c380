#pragma once
// Child processes (asyncio's create_subprocess_exec / create_subprocess_shell).
//
//   auto p = spindle::exec({"grep", "x"});                  // stdin, stdout, stderr are pipes
//   auto [out, err] = p.communicate("a\nx\n");             // feeds stdin, reads both, reaps
//   int status = p.wait();                                  // 0, 3, ... or -9 (killed by SIGKILL)
//
// Started with posix_spawnp (vfork-like, safe in threaded programs; no hand-rolled fork loop) and
// watched through a pidfd (Linux ≥ 5.3; where pidfd_open is unavailable, through SIGCHLD with an
// Asio signal_set). A program that cannot be started (missing, not executable, bad cwd) →
// boost::system::system_error with the OS error, naming the program.
//
// Descriptors: the child gets exactly 0, 1, 2: every other descriptor of this process is closed in
// the child (closefrom(3) before exec), and spindle's own pipe ends are close-on-exec as well.
// Signals: the child starts with an empty signal mask and SIGPIPE/SIGXFSZ at their defaults.
// SIGPIPE: the first process started sets SIGPIPE to "ignore" in this process (as CPython does at
// start-up) if it still had the default action, so writing to a child that has exited fails with
// EPIPE (system_error broken_pipe) instead of killing this process.
//
// Exit status (asyncio's returncode): the exit code (0…255) if the child exited, or minus the
// signal number if a signal killed it (SIGKILL → -9).
//
// Sessions and process groups (asyncio's start_new_session and process_group): a child started
// with ProcessOptions::new_session (setsid) or process_group = 0 (setpgid: a new group) leads its
// own process group, and then terminate(), kill(), send_signal() and ~Process signal that whole
// group, so what the child started (a shell's commands) goes with it: a killed
// shell("sleep 3; echo x") leaves no sleep running. A child that joined another group
// (process_group = that group's id) is signalled alone.
//
// Lifetime: Process is move-only and must be destroyed before its run() ends (its pipes belong to
// the loop). Destroying a Process whose child is still running kills it (SIGKILL) and reaps it —
// the choice of Boost.Process v2 and of Trio's cancellation, not asyncio's (which leaves it running):
// no child outlives its handle and no zombie is ever left. Destroying it after the child exited
// just reaps it. SIGKILL cannot be caught or ignored, so that reaping blocks the thread only while
// the kernel tears the child down (well under a millisecond for small children). Only the child
// is reaped: a grandchild left in a group whose leader has exited is not ours to signal or reap.
//
// Pipes and deadlocks: with stdout/stderr as pipes, a child blocks once it has written ~64 KiB
// nobody reads; wait() alone would then never return. Read the streams (or use communicate())
// before or while waiting, as with asyncio.
#include <sys/types.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/buffered_stream.hpp"

namespace spindle {

// Where one of the child's standard streams goes.
class Redirect {
 public:
  enum class Kind { pipe, inherit, devnull, to_stdout, fd };
  // The child's stream becomes a duplicate of `fd` (an open descriptor of this process, which stays
  // ours: exec does not take it over).
  static constexpr Redirect from_fd(int fd) { return Redirect(Kind::fd, fd); }
  constexpr Kind kind() const { return kind_; }
  constexpr int fd() const { return fd_; }
  constexpr explicit Redirect(Kind k, int fd = -1) : kind_(k), fd_(fd) {}

 private:
  Kind kind_;
  int fd_;
};
inline constexpr Redirect Pipe{Redirect::Kind::pipe};          // a pipe to this process: stdin_() etc.
inline constexpr Redirect Inherit{Redirect::Kind::inherit};    // this process's own stream
inline constexpr Redirect DevNull{Redirect::Kind::devnull};    // /dev/null
inline constexpr Redirect ToStdout{Redirect::Kind::to_stdout}; // stderr only: into stdout (2>&1)

struct ProcessOptions {
  Redirect stdin_ = Pipe;
  Redirect stdout_ = Pipe;
  Redirect stderr_ = Pipe;
  std::optional<std::string> cwd = std::nullopt;  // the child's working directory; unset: ours
  // The child's whole environment (asyncio's env=); unset: ours. To add to ours, start from
  // current_environment().
  std::optional<std::map<std::string, std::string>> env = std::nullopt;
  // setsid() in the child: a new session and process group led by the child, no controlling
  // terminal (asyncio's start_new_session). Signals then reach the whole group (see above).
  bool new_session = false;
  // setpgid() in the child (asyncio's process_group): 0 = a new group led by the child (signals
  // then reach the whole group), else the id of an existing group to join. Negative, or together
  // with new_session → std::invalid_argument; a group that does not exist → system_error EPERM.
  std::optional<pid_t> process_group = std::nullopt;
};

// This process's environment as a map (a starting point for ProcessOptions::env).
std::map<std::string, std::string> current_environment();

// The streams of a child: pipes, with BufferedStream's reads (read_line, read_until, ...),
// write_all, and read_all(). Writing to a child that has exited → system_error(broken_pipe).
class ProcessStream : public BufferedStream<boost::asio::posix::stream_descriptor> {
 public:
  using BufferedStream::BufferedStream;
  // All bytes until end of stream (what is buffered first): the child's whole output once it
  // closes the pipe (exits). Cancellation: what was read stays buffered, for the next read.
  std::string read_all();

 private:
  friend class Process;
  void buffer_to_end();  // reads into the buffer until end of stream
  std::string take_buffered();
};

struct CommunicateResult {
  std::string out;  // all of stdout (empty unless stdout_ is Pipe)
  std::string err;  // all of stderr (empty unless stderr_ is Pipe)
};

class Process {
 public:
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  ~Process();  // kills (SIGKILL) and reaps a child still running; see above

  pid_t pid() const;
  // The pipes; a stream that is not Pipe → std::logic_error. Close stdin_() to send end of file.
  ProcessStream& stdin_();
  ProcessStream& stdout_();
  ProcessStream& stderr_();

  // Writes `input` to stdin and closes it, reads stdout and stderr to their end, and reaps the
  // child — all at once (three fibers), so a child that floods its output while we write cannot
  // deadlock. A child that stops reading early (EPIPE) just gets the rest dropped (asyncio). Input
  // with stdin not a Pipe → std::logic_error. Cancellation (a timeout around it): the fibers are
  // cancelled and reaped and the child keeps running (kill() it or let ~Process do it); nothing
  // read is lost: the output so far stays buffered in stdout_() and stderr_(), so a later
  // communicate() or read_all() returns it with the rest. Of `input`, an unknown part was written
  // and stdin is still open: a later communicate() should get no input (it closes stdin).
  CommunicateResult communicate(std::string_view input = {});
  // Parks until the child exits and returns its exit status (see above); later calls return it
  // again. Cancellation: the wait is abandoned, the child keeps running, nothing is leaked.
  int wait();
  // The exit status if the child has exited (reaps it without parking), else empty.
  std::optional<int> poll();
  std::optional<int> returncode() const;

  // Sends `sig` to the child (its whole group if it leads one, see above); after it has been
  // reaped, does nothing (asyncio). Never parks.
  void send_signal(int sig);
  void terminate();  // SIGTERM
  void kill();       // SIGKILL

  struct State;

 private:
  friend Process exec(std::vector<std::string> argv, ProcessOptions options);
  explicit Process(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

// Starts argv[0] (searched in PATH when it has no '/') with arguments argv[1...]. Must be called
// in a fiber of a running loop. Empty argv → std::invalid_argument.
Process exec(std::vector<std::string> argv, ProcessOptions options = {});
// Starts `/bin/sh -c command`.
Process shell(std::string_view command, ProcessOptions options = {});

namespace detail {
// Tests only: false makes later exec() calls watch their child through SIGCHLD instead of a pidfd.
void set_process_pidfd_enabled(bool enabled);
}  // namespace detail

}  // namespace spindle
