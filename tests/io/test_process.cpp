// Processes: exec/shell, the child's pipes, communicate, exit statuses, signals, no zombies, no
// descriptor leaks into children.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <string>

#include "../support.hpp"
#include "spindle/testing.hpp"
#include "io/process.hpp"

using namespace std::chrono_literals;

namespace {

// True when `pid` is neither our child nor a zombie of ours any more.
bool reaped(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == -1 && errno == ECHILD;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

// Parks until process `pid` (not necessarily our child: a grandchild) has exited, through a pidfd;
// false if it still runs after `limit` (a bound for the failing case, never reached otherwise).
bool exits_within(pid_t pid, spindle::Duration limit) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;  // gone already
  boost::asio::posix::stream_descriptor pidfd(spindle::this_loop().io_context(), fd);
  return spindle::move_on_after(limit, [&] {
           pidfd.async_wait(boost::asio::posix::stream_descriptor::wait_read, spindle::use_fiber);
         }).has_value();
}

// Cancels `t` once it has parked (spawn is lazy: one yield lets it run up to its first park).
template <class R>
void cancel_after_it_parks(spindle::Task<R>& t) {
  spindle::yield_now();
  CHECK(!t.done());
  t.cancel();
  t.join();
  CHECK(t.cancelled());
}

}  // namespace

TEST_SUITE("process") {

TEST_CASE("exec /bin/echo hi: stdout is exactly \"hi\\n\", stderr empty, status 0") {
  spindle::run([] {
    auto p = spindle::exec({"/bin/echo", "hi"});
    CHECK(p.pid() > 0);
    auto [out, err] = p.communicate();
    CHECK(out == "hi\n");
    CHECK(err == "");
    CHECK(p.wait() == 0);
    CHECK(p.returncode() == 0);
  });
}

TEST_CASE("a program without '/' is searched in PATH") {
  spindle::run([] {
    auto p = spindle::exec({"echo", "from", "path"});
    CHECK(p.communicate().out == "from path\n");
  });
}

TEST_CASE("read_line from a child's stdout, then end of stream") {
  spindle::run([] {
    auto p = spindle::shell("printf 'one\\ntwo\\nlast'");
    CHECK(p.stdout_().read_line() == "one\n");
    CHECK(p.stdout_().read_line() == "two\n");
    CHECK(p.stdout_().read_line() == "last");
    CHECK(p.stdout_().read_line() == "");
    CHECK(p.wait() == 0);
  });
}

TEST_CASE("write to stdin, read the answer line by line (an interactive child)") {
  spindle::run([] {
    auto p = spindle::exec({"/bin/cat"});
    p.stdin_().write_all("ping\n");
    CHECK(p.stdout_().read_line() == "ping\n");
    p.stdin_().write_all("pong\n");
    CHECK(p.stdout_().read_line() == "pong\n");
    p.stdin_().close();
    CHECK(p.stdout_().read_line() == "");
    CHECK(p.wait() == 0);
  });
}

TEST_CASE("exit statuses: 0, 3, killed by SIGKILL → -9, terminate() → -15") {
  spindle::run([] {
    CHECK(spindle::shell("exit 0").wait() == 0);
    CHECK(spindle::shell("exit 3").wait() == 3);
    CHECK(spindle::shell("exit 7").wait() == 7);

    auto k = spindle::exec({"/bin/sleep", "100"});
    k.kill();
    CHECK(k.wait() == -SIGKILL);
    CHECK(k.wait() == -9);  // again: the same status
    k.kill();               // reaped already: nothing happens

    auto t = spindle::exec({"/bin/sleep", "100"});
    CHECK(!t.poll().has_value());
    t.terminate();
    CHECK(t.wait() == -SIGTERM);
    CHECK(t.poll() == -SIGTERM);
  });
}

TEST_CASE("communicate: 10 MB through cat both ways at once, byte-exact, no deadlock") {
  const std::string input = pattern(10 * 1024 * 1024);
  spindle::run([&] {
    auto p = spindle::exec({"/bin/cat"});
    auto [out, err] = p.communicate(input);
    CHECK(out.size() == input.size());
    CHECK(out == input);
    CHECK(err.empty());
    CHECK(p.wait() == 0);
  });
}

TEST_CASE("communicate: stdout and stderr flooded together stay separate") {
  spindle::run([] {
    // 1 MB on each stream, interleaved, with 1 MB of stdin read first.
    auto p = spindle::shell("head -c 1048576 >/dev/null; "
                            "i=0; while [ $i -lt 4 ]; do head -c 262144 /dev/zero; "
                            "head -c 262144 /dev/zero | tr '\\0' 'e' >&2; i=$((i+1)); done");
    auto [out, err] = p.communicate(pattern(1024 * 1024));
    CHECK(out == std::string(1024 * 1024, '\0'));
    CHECK(err == std::string(1024 * 1024, 'e'));
    CHECK(p.wait() == 0);
  });
}

TEST_CASE("stderr is separate; ToStdout merges it; DevNull drops it") {
  spindle::run([] {
    auto p = spindle::shell("echo out; echo err >&2");
    auto [out, err] = p.communicate();
    CHECK(out == "out\n");
    CHECK(err == "err\n");

    auto merged = spindle::shell("echo out; echo err >&2", {.stderr_ = spindle::ToStdout});
    CHECK(merged.communicate().out == "out\nerr\n");
    CHECK_THROWS_AS(merged.stderr_(), std::logic_error);

    auto dropped = spindle::shell("echo out; echo err >&2; read x; echo \"[$x]\"",
                                  {.stdin_ = spindle::DevNull, .stderr_ = spindle::DevNull});
    auto r = dropped.communicate();
    CHECK(r.out == "out\n[]\n");
    CHECK(r.err == "");
    CHECK_THROWS_AS(dropped.communicate("input"), std::logic_error);  // stdin is not a pipe
  });
}

TEST_CASE("Redirect::from_fd: the child writes into a descriptor we give it") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  spindle::run([&] {
    auto p = spindle::shell("echo into-fd", {.stdout_ = spindle::Redirect::from_fd(fds[1])});
    CHECK(p.wait() == 0);
  });
  ::close(fds[1]);
  char buf[64];
  const ssize_t n = ::read(fds[0], buf, sizeof buf);
  ::close(fds[0]);
  CHECK(std::string(buf, n > 0 ? std::size_t(n) : 0) == "into-fd\n");
}

TEST_CASE("cwd and env are honoured; env replaces the whole environment") {
  spindle::run([] {
    auto p = spindle::exec({"/bin/pwd"}, {.cwd = "/usr/bin"});
    CHECK(p.communicate().out == "/usr/bin\n");

    auto e = spindle::exec({"/usr/bin/env"}, {.env = std::map<std::string, std::string>{
                                                  {"FOO", "bar baz"}, {"X", "1"}}});
    CHECK(e.communicate().out == "FOO=bar baz\nX=1\n");

    auto env = spindle::current_environment();
    env["SPINDLE_TEST_VAR"] = "added";
    auto s = spindle::shell("echo $SPINDLE_TEST_VAR; test -n \"$PATH\" && echo has-path",
                            {.env = env});
    CHECK(s.communicate().out == "added\nhas-path\n");
  });
}

TEST_CASE("a program that does not exist: system_error ENOENT naming it") {
  spindle::run([] {
    try {
      spindle::exec({"/no/such/program-xyz", "arg"});
      FAIL("exec did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code().value() == ENOENT);
      CHECK(std::string(e.what()).find("/no/such/program-xyz") != std::string::npos);
    }
    try {
      spindle::exec({"no-such-program-xyz"});
      FAIL("exec did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code().value() == ENOENT);
      CHECK(std::string(e.what()).find("no-such-program-xyz") != std::string::npos);
    }
    try {
      spindle::exec({"/bin/true"}, {.cwd = "/no/such/dir-xyz"});
      FAIL("exec did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code().value() == ENOENT);
      CHECK(std::string(e.what()).find("/no/such/dir-xyz") != std::string::npos);
    }
    CHECK_THROWS_AS(spindle::exec({}), std::invalid_argument);
    CHECK_THROWS_AS(spindle::exec({"/bin/true"}, {.stdout_ = spindle::ToStdout}), std::invalid_argument);
  });
}

TEST_CASE("no descriptor leaks into the child: it has only 0, 1, 2 and its own") {
  // Descriptors this process holds without O_CLOEXEC must not reach the child either.
  const int plain = ::open("/dev/null", O_RDONLY);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(plain >= 3);
  spindle::run([] {
    // ls opens /proc/self/fd itself: that is the one descriptor beyond 0, 1, 2.
    auto p = spindle::exec({"/bin/ls", "/proc/self/fd"});
    auto [out, err] = p.communicate();
    CHECK(out == "0\n1\n2\n3\n");
    CHECK(err == "");
    // Also with every stream inherited or redirected elsewhere.
    auto q = spindle::shell("ls /proc/self/fd >&2", {.stdin_ = spindle::DevNull,
                                                     .stdout_ = spindle::Inherit});
    CHECK(q.communicate().err == "0\n1\n2\n3\n");
  });
  ::close(plain);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("no zombies: after wait(), and after a cancelled wait once the Process is gone") {
  pid_t waited = 0, cancelled = 0, dropped = 0;
  spindle::run([&] {
    auto p = spindle::exec({"/bin/true"});
    waited = p.pid();
    CHECK(p.wait() == 0);
    CHECK(reaped(waited));

    auto s = spindle::exec({"/bin/sleep", "100"});
    cancelled = s.pid();
    auto t = spindle::spawn([&] { return s.wait(); });
    cancel_after_it_parks(t);
    CHECK(!s.returncode().has_value());
    CHECK(::kill(cancelled, 0) == 0);  // the child still runs

    auto d = spindle::exec({"/bin/sleep", "100"});
    dropped = d.pid();
  });  // ~Process kills and reaps both sleepers
  CHECK(reaped(waited));
  CHECK(reaped(cancelled));
  CHECK(reaped(dropped));
  CHECK(::kill(cancelled, 0) == -1);
  CHECK(::kill(dropped, 0) == -1);
}

TEST_CASE("a child that exited unwaited is reaped by ~Process") {
  pid_t pid = 0;
  spindle::run([&] {
    auto p = spindle::exec({"/bin/echo", "x"});
    pid = p.pid();
    CHECK(p.stdout_().read_line() == "x\n");
    CHECK(p.stdout_().read_line() == "");  // stdout closed: the child is exiting
  });
  CHECK(reaped(pid));
}

TEST_CASE("cancelling a parked wait() or read leaves the Process usable") {
  spindle::run([] {
    auto p = spindle::exec({"/bin/cat"});
    auto waiter = spindle::spawn([&] { return p.wait(); });
    cancel_after_it_parks(waiter);

    auto reader = spindle::spawn([&] { return p.stdout_().read_line(); });
    cancel_after_it_parks(reader);

    // A timeout around the read: the same through a deadline.
    auto none = spindle::move_on_after(20ms, [&] { return p.stdout_().read_line(); });
    CHECK(!none.has_value());

    p.stdin_().write_all("still here\n");
    CHECK(p.stdout_().read_line() == "still here\n");
    auto [out, err] = p.communicate("tail");
    CHECK(out == "tail");
    CHECK(p.wait() == 0);
  });
}

TEST_CASE("cancelling communicate cancels its fibers; the child can still be killed and reaped") {
  spindle::run([] {
    auto p = spindle::exec({"/bin/sleep", "100"});
    auto t = spindle::spawn([&] { return p.communicate(); });
    cancel_after_it_parks(t);
    p.kill();
    CHECK(p.wait() == -9);
    CHECK(spindle::this_loop().live_tasks() == 1);  // only main: no fiber of communicate left
  });
}

TEST_CASE("writing to a child that exited: EPIPE, not SIGPIPE") {
  spindle::run([] {
    auto p = spindle::exec({"/bin/true"});
    CHECK(p.wait() == 0);
    try {
      p.stdin_().write_all(pattern(1024 * 1024));
      FAIL("write_all did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == boost::asio::error::broken_pipe);
    }
    // communicate drops what the child did not read (asyncio).
    auto h = spindle::exec({"/usr/bin/head", "-c", "5"});
    auto [out, err] = h.communicate(pattern(4 * 1024 * 1024));
    CHECK(out == pattern(5));
    CHECK(h.wait() == 0);
  });
}

TEST_CASE("the child starts with SIGPIPE at its default action") {
  spindle::run([] {
    auto q = spindle::shell("grep SigIgn /proc/self/status");
    // This process ignores SIGPIPE now (exec set it); the child does not.
    struct sigaction mine {};
    ::sigaction(SIGPIPE, nullptr, &mine);
    CHECK((mine.sa_handler == SIG_IGN));
    const std::string line = q.communicate().out;
    // SIGPIPE's bit of the child's ignored-signals mask is clear
    CHECK(line.find("SigIgn:") == 0);
    const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
    CHECK((mask & (1ull << (SIGPIPE - 1))) == 0);
  });
}

TEST_CASE("without pidfd (SIGCHLD mode) the same waits work") {
  spindle::detail::set_process_pidfd_enabled(false);
  pid_t pid = 0;
  spindle::run([&] {
    auto p = spindle::exec({"/bin/echo", "sigchld"});
    CHECK(p.communicate().out == "sigchld\n");
    CHECK(p.wait() == 0);
    auto s = spindle::exec({"/bin/sleep", "100"});
    pid = s.pid();
    auto t = spindle::spawn([&] { return s.wait(); });
    cancel_after_it_parks(t);
    s.kill();
    CHECK(s.wait() == -9);
    CHECK(spindle::shell("exit 5").wait() == 5);
  });
  spindle::detail::set_process_pidfd_enabled(true);
  CHECK(reaped(pid));
}

TEST_CASE("exec and streams need no fiber of their own: the loop stays free meanwhile") {
  spindle_test::Recorder rec;
  spindle::run([&] {
    auto p = spindle::exec({"/bin/cat"});
    auto other = spindle::spawn([&] { rec("other ran"); });
    auto line = spindle::spawn([&] { return p.stdout_().read_line(); });
    spindle::testing::wait_all_blocked();  // the reader parked on the child's stdout
    rec("main writes");
    p.stdin_().write_all("x\n");
    CHECK(line.get() == "x\n");
    other.get();
    p.stdin_().close();
    CHECK(p.wait() == 0);
  });
  CHECK(rec.str() == "other ran, main writes");
}

TEST_CASE("read_all: every byte until end of stream, what an earlier read left buffered first") {
  const std::size_t fds = spindle_test::open_fd_count();
  spindle::run([] {
    auto p = spindle::shell("printf 'one\\ntwo\\nthree'; printf err >&2");
    CHECK(p.stdout_().read_line() == "one\n");
    CHECK(p.stdout_().read_all() == "two\nthree");
    CHECK(p.stdout_().read_all() == "");  // at end of stream, and again
    CHECK(p.stderr_().read_all() == "err");
    CHECK(p.wait() == 0);

    auto big = spindle::shell("head -c 3000000 /dev/zero | tr '\\0' z");
    CHECK(big.stdout_().read_all() == std::string(3000000, 'z'));
    CHECK(big.wait() == 0);
  });
  CHECK(spindle_test::open_fd_count() == fds);
}

TEST_CASE("communicate cut by a timeout: what it read stays buffered; a later call gets it") {
  const std::size_t fds = spindle_test::open_fd_count();
  pid_t pid = 0;
  spindle::run(spindle_test::io_virtual(), [&] {
    // stdout is written first: once "ready" is read from stderr, both outputs are in the pipes.
    auto p = spindle::shell("printf partial-out; printf 'ready\\npartial-err' >&2; exec sleep 30",
                            {.stdin_ = spindle::DevNull});
    pid = p.pid();
    CHECK(p.stderr_().read_line() == "ready\n");
    spindle_test::Stopwatch clock;
    CHECK_THROWS_AS(spindle::timeout(2s, [&] { p.communicate(); }), spindle::TimeoutError);
    CHECK(clock.elapsed() == 2s);
    CHECK(!p.returncode().has_value());  // the child still runs
    CHECK(p.stdout_().buffered() == std::string("partial-out").size());  // read by communicate
    p.kill();
    auto [out, err] = p.communicate();
    CHECK(out == "partial-out");
    CHECK(err == "partial-err");
    CHECK(p.wait() == -SIGKILL);
  });
  CHECK(reaped(pid));
  CHECK(spindle_test::open_fd_count() == fds);
}

TEST_CASE("new_session: the child leads a new session; kill() takes its group, grandchild too") {
  const std::size_t fds = spindle_test::open_fd_count();
  pid_t pid = 0;
  spindle::run([&] {
    // The shell's sleep is our grandchild; "$!" tells its pid.
    auto p = spindle::shell("sleep 3 & echo $!; wait; echo x", {.new_session = true});
    pid = p.pid();
    const pid_t grandchild = std::stoi(p.stdout_().read_line());
    CHECK(::getsid(pid) == pid);
    CHECK(::getpgid(pid) == pid);
    CHECK(::getpgid(grandchild) == pid);
    p.kill();
    CHECK(p.wait() == -SIGKILL);
    CHECK(exits_within(grandchild, 2s));
    CHECK(p.stdout_().read_all() == "");  // no "x": the shell never got past wait
  });
  CHECK(reaped(pid));
  CHECK(spindle_test::open_fd_count() == fds);
}

TEST_CASE("process_group 0: a new group led by the child, our session; terminate() takes it all") {
  pid_t pid = 0;
  spindle::run([&] {
    auto p = spindle::exec({"/bin/sh", "-c", "sleep 3 & echo $!; wait"}, {.process_group = 0});
    pid = p.pid();
    const pid_t grandchild = std::stoi(p.stdout_().read_line());
    CHECK(::getpgid(pid) == pid);
    CHECK(::getsid(pid) == ::getsid(0));
    CHECK(::getpgid(grandchild) == pid);
    p.terminate();
    CHECK(p.wait() == -SIGTERM);
    CHECK(exits_within(grandchild, 2s));
  });
  CHECK(reaped(pid));
}

TEST_CASE("process_group of another child: it joins that group and is signalled alone") {
  spindle::run([] {
    auto leader = spindle::exec({"/bin/sleep", "30"}, {.process_group = 0});
    auto member = spindle::exec({"/bin/sleep", "30"}, {.process_group = leader.pid()});
    CHECK(::getpgid(member.pid()) == leader.pid());
    member.kill();
    CHECK(member.wait() == -SIGKILL);
    CHECK(!leader.poll().has_value());  // the group's leader was not signalled
    leader.kill();
    CHECK(leader.wait() == -SIGKILL);
  });
}

TEST_CASE("session options misused: std::invalid_argument; a group that does not exist: EPERM") {
  spindle::run([] {
    auto message = [](spindle::ProcessOptions options) -> std::string {
      try {
        spindle::exec({"/bin/true"}, std::move(options));
      } catch (const std::invalid_argument& e) {
        return e.what();
      }
      return "started";
    };
    CHECK(message({.new_session = true, .process_group = 0}) ==
          "exec: new_session and process_group exclude each other");
    CHECK(message({.process_group = -3}) == "exec: process_group -3 is negative");
    // Process group ids are below pid_max, at most 2^22: no group has this one.
    try {
      spindle::exec({"/bin/true"}, {.process_group = 4194304});
      FAIL("exec did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code().value() == EPERM);
      CHECK(std::string(e.what()) ==
            "exec \"/bin/true\" (process_group 4194304): Operation not permitted");
    }
  });
}

}  // TEST_SUITE
