#include "io/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "scheduler/loop.hpp"
#include "sync/gather.hpp"

extern char** environ;

namespace spindle {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using boost::system::system_category;

std::atomic<bool> g_use_pidfd{true};

// An owned descriptor of this process.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

[[noreturn]] void throw_os(int err, std::string_view what) {
  detail::throw_io_error(error_code(err, system_category()), what);
}

// CPython ignores SIGPIPE at start-up; spindle does it when it makes its first child pipe, and
// leaves a handler the program installed itself alone.
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
        old.sa_handler == SIG_DFL) {
      ::signal(SIGPIPE, SIG_IGN);
    }
  });
}

// The posix_spawn attributes and file actions, released whatever happens.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

void check_spawn_call(int rc, const char* call) {
  if (rc != 0) throw_os(rc, std::string("exec: ") + call);
}

std::string describe_program(const std::vector<std::string>& argv, const ProcessOptions& o) {
  std::string what = "exec \"";
  what += argv[0];
  what += '"';
  if (o.cwd) {
    what += " (cwd \"";
    what += *o.cwd;
    what += "\")";
  }
  if (o.process_group) {
    what += " (process_group ";
    what += std::to_string(*o.process_group);
    what += ')';
  }
  return what;
}

}  // namespace

namespace detail {
void set_process_pidfd_enabled(bool enabled) { g_use_pidfd.store(enabled); }
}  // namespace detail

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

// Invariant: `status` is set exactly when the child has been reaped; until then `pid` is ours (a
// zombie's pid is never reused), so kill(pid) cannot hit another process.
struct Process::State {
  pid_t pid = -1;
  bool leads_group = false;  // the child leads its own process group: signals go to the group
  std::optional<int> status;
  std::optional<asio::posix::stream_descriptor> pidfd;  // empty: SIGCHLD mode
  std::optional<ProcessStream> in, out, err;

  // Reaps the child if it has exited (or, with `block`, once it has). True once reaped.
  bool reap(bool block) noexcept {
    if (status) return true;
    int st = 0;
    pid_t r;
    do {
      r = ::waitpid(pid, &st, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    if (r < 0) {
      // ECHILD: someone else reaped it (SIGCHLD set to SIG_IGN reaps automatically); like
      // CPython, the status is then unknown and reported as 0.
      status = 0;
    } else if (WIFEXITED(st)) {
      status = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
      status = -WTERMSIG(st);
    } else {
      return false;  // stopped or continued: not an exit
    }
    return true;
  }

  // kill(2) of the child, or of its group while it leads one; only before it is reaped.
  int signal(int sig) noexcept { return ::kill(leads_group ? -pid : pid, sig); }
};

Process::Process(std::unique_ptr<State> s) : s_(std::move(s)) {}
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&& o) noexcept {
  if (this != &o) {
    Process dying(std::move(*this));  // this one's child is killed and reaped, as by ~Process
    s_ = std::move(o.s_);
  }
  return *this;
}

Process::~Process() {
  if (!s_) return;
  s_->in.reset();
  s_->out.reset();
  s_->err.reset();
  if (!s_->reap(false)) {
    s_->signal(SIGKILL);
    s_->reap(true);
  }
}

pid_t Process::pid() const { return s_->pid; }

namespace {
ProcessStream& stream_or_throw(std::optional<ProcessStream>& s, const char* name) {
  if (!s) {
    std::string msg = "Process::";
    msg += name;
    msg += "(): the stream was not redirected to Pipe";
    throw std::logic_error(msg);
  }
  return *s;
}
}  // namespace

ProcessStream& Process::stdin_() { return stream_or_throw(s_->in, "stdin_"); }
ProcessStream& Process::stdout_() { return stream_or_throw(s_->out, "stdout_"); }
ProcessStream& Process::stderr_() { return stream_or_throw(s_->err, "stderr_"); }

std::optional<int> Process::returncode() const { return s_->status; }

std::optional<int> Process::poll() {
  s_->reap(false);
  return s_->status;
}

int Process::wait() {
  State& s = *s_;
  if (s.reap(false)) {
    detail::io_checkpoint();
    return *s.status;
  }
  if (s.pidfd) {
    // The pidfd becomes readable when the child exits. Several fibers may wait at once: each is
    // woken and finds the status (the pidfd stays open until ~Process).
    do {
      s.pidfd->async_wait(asio::posix::stream_descriptor::wait_read, use_fiber.named("process wait"));
    } while (!s.reap(false));
  } else {
    // Registered before the check, so a SIGCHLD that comes in between is kept for async_wait.
    asio::signal_set sigchld(this_loop().io_context(), SIGCHLD);
    while (!s.reap(false)) sigchld.async_wait(use_fiber.named("process wait"));
  }
  return *s.status;
}

void Process::send_signal(int sig) {
  if (s_->status) return;
  if (s_->signal(sig) != 0) throw_os(errno, "Process::send_signal(" + std::to_string(sig) + ")");
}
void Process::terminate() { send_signal(SIGTERM); }
void Process::kill() { send_signal(SIGKILL); }

CommunicateResult Process::communicate(std::string_view input) {
  State& s = *s_;
  if (!input.empty() && !s.in) {
    throw std::logic_error("Process::communicate: input given but stdin_ is not Pipe");
  }
  auto feed = [&] {
    if (!s.in) return;
    try {
      if (!input.empty()) s.in->write_all(input);
    } catch (const boost::system::system_error& e) {
      // The child stopped reading (exited or closed its stdin): the rest is dropped (asyncio).
      if (e.code() != asio::error::broken_pipe && e.code() != asio::error::connection_reset) throw;
    }
    s.in->close();
  };
  // The output stays in the streams' buffers until the child is reaped, so a cancelled
  // communicate loses none of it.
  auto drain = [](std::optional<ProcessStream>& stream) {
    if (stream) stream->buffer_to_end();
  };
  gather(feed, [&] { drain(s.out); }, [&] { drain(s.err); });
  wait();
  return {s.out ? s.out->take_buffered() : std::string(),
          s.err ? s.err->take_buffered() : std::string()};
}

std::string ProcessStream::read_all() {
  buffer_to_end();
  return take_buffered();
}

void ProcessStream::buffer_to_end() {
  while (fill()) {
  }
}

std::string ProcessStream::take_buffered() {
  std::string all = buf_.take(buf_.size());
  buf_ = {};  // read to its end: the pipe needs no buffer any more
  return all;
}

Process exec(std::vector<std::string> argv, ProcessOptions options) {
  if (argv.empty()) throw std::invalid_argument("exec: argv must not be empty");
  if (options.new_session && options.process_group) {
    throw std::invalid_argument("exec: new_session and process_group exclude each other");
  }
  if (options.process_group && *options.process_group < 0) {
    throw std::invalid_argument("exec: process_group " + std::to_string(*options.process_group) +
                                " is negative");
  }
  if (options.stdin_.kind() == Redirect::Kind::to_stdout ||
      options.stdout_.kind() == Redirect::Kind::to_stdout) {
    throw std::invalid_argument("exec: ToStdout is only for stderr_");
  }
  auto& io = this_loop().io_context();
  ignore_sigpipe_once();

  SpawnSetup setup;
  UniqueFd devnull;
  UniqueFd parent_end[3];
  UniqueFd child_end[3];
  const Redirect* redirects[3] = {&options.stdin_, &options.stdout_, &options.stderr_};

  if (options.cwd) {
    check_spawn_call(posix_spawn_file_actions_addchdir_np(&setup.actions, options.cwd->c_str()),
                     "posix_spawn_file_actions_addchdir_np");
  }
  for (int target = 0; target < 3; ++target) {
    const Redirect& r = *redirects[target];
    int source = -1;
    switch (r.kind()) {
      case Redirect::Kind::inherit:
        continue;
      case Redirect::Kind::pipe: {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw_os(errno, "exec: pipe2");
        // stdin: the child reads fds[0]; stdout/stderr: the child writes fds[1].
        UniqueFd read_end(fds[0]), write_end(fds[1]);
        parent_end[target] = target == 0 ? std::move(write_end) : std::move(read_end);
        child_end[target] = target == 0 ? std::move(read_end) : std::move(write_end);
        source = child_end[target].get();
        break;
      }
      case Redirect::Kind::devnull:
        if (!devnull) {
          devnull = UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
          if (!devnull) throw_os(errno, "exec: open(\"/dev/null\")");
        }
        source = devnull.get();
        break;
      case Redirect::Kind::to_stdout:
        source = STDOUT_FILENO;
        break;
      case Redirect::Kind::fd:
        if (r.fd() < 0) {
          throw std::invalid_argument("exec: Redirect::from_fd(" + std::to_string(r.fd()) + ")");
        }
        source = r.fd();
        break;
    }
    // dup2 leaves the copy without close-on-exec (glibc also clears it when source == target).
    check_spawn_call(posix_spawn_file_actions_adddup2(&setup.actions, source, target),
                     "posix_spawn_file_actions_adddup2");
  }
  // Nothing but 0, 1, 2 reaches the child, whatever this process has open without O_CLOEXEC.
  check_spawn_call(posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3),
                   "posix_spawn_file_actions_addclosefrom_np");

  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGXFSZ);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (options.new_session) flags |= POSIX_SPAWN_SETSID;
  if (options.process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&setup.attr, *options.process_group);
  }
  posix_spawnattr_setflags(&setup.attr, flags);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  char** env = environ;
  if (options.env) {
    env_strings.reserve(options.env->size());
    for (const auto& [name, value] : *options.env) {
      std::string entry = name;
      entry += '=';
      entry += value;
      env_strings.push_back(std::move(entry));
    }
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    env = envp.data();
  }

  pid_t pid = -1;
  if (int rc = ::posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(), env)) {
    throw_os(rc, describe_program(argv, options));
  }

  auto state = std::make_unique<Process::State>();
  state->pid = pid;
  state->leads_group = options.new_session || options.process_group == 0;
  // From here on `state` owns the child: an exception below kills and reaps it (~Process).
  Process process(std::move(state));
  for (auto& c : child_end) c = UniqueFd();
  Process::State& s = *process.s_;
  if (g_use_pidfd.load()) {
    const long pidfd = ::syscall(SYS_pidfd_open, pid, 0);  // O_CLOEXEC always
    if (pidfd >= 0) s.pidfd.emplace(io, static_cast<int>(pidfd));
    // ENOSYS (kernel < 5.3) or a sandbox that forbids it: SIGCHLD mode.
  }
  if (parent_end[0]) s.in.emplace(asio::posix::stream_descriptor(io, parent_end[0].release()));
  if (parent_end[1]) s.out.emplace(asio::posix::stream_descriptor(io, parent_end[1].release()));
  if (parent_end[2]) s.err.emplace(asio::posix::stream_descriptor(io, parent_end[2].release()));
  return process;
}

Process shell(std::string_view command, ProcessOptions options) {
  return exec({"/bin/sh", "-c", std::string(command)}, std::move(options));
}

}  // namespace spindle
