// The hooks (io/hooks/): plain libc calls made from fibers park the fiber, with libc's own
// semantics. This program is linked with libspindle_hooks.so, so every read/poll/nanosleep below
// is the hooked one.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "io/hooks/hooks.hpp"
#include "loopback.hpp"
#include "scheduler/instrument.hpp"
#include "support.hpp"
#include "spindle/testing.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {

struct FdPipe {
  int r = -1, w = -1;
  FdPipe() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~FdPipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
};

struct SocketPair {
  int a = -1, b = -1;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    a = fds[0];
    b = fds[1];
  }
  ~SocketPair() {
    ::close(a);
    ::close(b);
  }
};

// Counts parks by what they wait in.
struct ParkCounter : Instrument {
  std::vector<std::string> parks;
  void on_park(const TaskRef&, const char* what, const void*) noexcept override {
    parks.emplace_back(what);
  }
};

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads `fd` 1,000 bytes at a time until `size` bytes came or it ends.
std::string read_up_to(int fd, std::size_t size) {
  std::string got;
  char buf[1000];
  while (got.size() < size) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

}  // namespace

TEST_SUITE("hooks") {

TEST_CASE("a blocking read parks the fiber: the others run, and it gets the bytes") {
  Recorder rec;
  run(io_virtual(), [&] {
    CHECK(hooks_active());
    FdPipe p;
    rec.start();
    auto reader = spawn([&] {
      char buf[16] = {};
      const ssize_t n = ::read(p.r, buf, sizeof buf);
      rec.at("read " + std::to_string(n) + " '" + std::string(buf, n > 0 ? n : 0) + "'");
    });
    auto writer = spawn([&] {
      rec.at("writer runs");
      ::usleep(250'000);  // hooked too: 250 ms on the loop's clock
      CHECK(::write(p.w, "hello", 5) == 5);
      rec.at("wrote");
    });
    reader.join();
    writer.join();
  });
  CHECK(rec.str() == "writer runs@0ms, wrote@250ms, read 5 'hello'@250ms");
}

TEST_CASE("outside fibers, in loop callbacks and with hooks off, the calls are libc's") {
  FdPipe p;
  CHECK_FALSE(hooks_active());  // no loop running
  std::string got;
  run([&] {
    std::thread other([&] {
      CHECK_FALSE(hooks_active());
      char c = 0;
      CHECK(::read(p.r, &c, 1) == 1);  // blocks this thread, as libc's
      got += c;
    });
    bool in_callback = true;
    this_loop().call_soon([&] { in_callback = hooks_active(); });
    spindle::testing::wait_all_blocked();  // the callback has run
    CHECK_FALSE(in_callback);
    CHECK(::write(p.w, "x", 1) == 1);
    other.join();
  });
  CHECK(got == "x");
  run(RunOptions{.hooks = false}, [&] {
    CHECK_FALSE(hooks_active());
    CHECK(::write(p.w, "y", 1) == 1);
    char c = 0;
    CHECK(::read(p.r, &c, 1) == 1);
    CHECK(c == 'y');
  });
}

TEST_CASE("poll parks once on all its descriptors, with its timeout on the loop's clock") {
  ParkCounter parks;
  RunOptions opts = io_virtual();
  opts.instrument = &parks;
  run(opts, [&] {
    FdPipe a, b, c;
    Stopwatch clock;
    pollfd fds[3] = {{a.r, POLLIN, 0}, {b.r, POLLIN, 0}, {c.r, POLLIN, 0}};
    CHECK(::poll(fds, 3, 2'500) == 0);
    CHECK(clock.elapsed() == 2'500ms);
    parks.parks.clear();
    auto late = spawn([&] {
      ::usleep(100'000);
      CHECK(::write(b.w, "!", 1) == 1);
    });
    CHECK(::poll(fds, 3, -1) == 1);
    CHECK(fds[0].revents == 0);
    CHECK(fds[1].revents == POLLIN);
    CHECK(fds[2].revents == 0);
    CHECK(clock.elapsed() == 2'600ms);
    late.join();
  });
  // The poll itself parked exactly once (the other parks: the writer's sleep and the join).
  int polls = 0;
  for (const auto& p : parks.parks) polls += p == "poll";
  CHECK(polls == 1);
}

TEST_CASE("select waits on its sets and reports exactly the ready ones") {
  run(io_virtual(), [&] {
    FdPipe a, b;
    auto late = spawn([&] {
      ::usleep(50'000);
      CHECK(::write(a.w, "1", 1) == 1);
    });
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(a.r, &readable);
    FD_SET(b.r, &readable);
    timeval tv{5, 0};
    Stopwatch clock;
    CHECK(::select(std::max(a.r, b.r) + 1, &readable, nullptr, nullptr, &tv) == 1);
    CHECK(FD_ISSET(a.r, &readable));
    CHECK_FALSE(FD_ISSET(b.r, &readable));
    CHECK(clock.elapsed() == 50ms);
    CHECK(tv.tv_sec == 4);  // the time not waited, as Linux leaves it
    CHECK(tv.tv_usec == 950'000);
    late.join();
  });
}

TEST_CASE("close from another fiber wakes the parked reader with EBADF") {
  run(io_virtual(), [&] {
    FdPipe p;
    int error = 0;
    ssize_t n = 0;
    auto reader = spawn([&] {
      char c;
      n = ::read(p.r, &c, 1);
      error = errno;
    });
    yield_now();  // the reader is parked
    CHECK(::close(p.r) == 0);
    p.r = -1;
    reader.join();
    CHECK(n == -1);
    CHECK(error == EBADF);
  });
}

TEST_CASE("cancellation fails the parked call with ECANCELED; a timeout still throws") {
  run(io_virtual(), [&] {
    FdPipe p;
    ssize_t n = 0;
    int error = 0;
    Stopwatch clock;
    CHECK_THROWS_AS(timeout(1s, [&] {
      char c;
      n = ::read(p.r, &c, 1);  // a foreign library sees only the failed call...
      error = errno;
    }),                  // ...and returns; the timeout reports itself
                    TimeoutError);
    CHECK(n == -1);
    CHECK(error == ECANCELED);
    CHECK(clock.elapsed() == 1s);
    unsigned left = 0;
    bool reached_yield = false;
    auto sleeper = spawn([&] {
      left = ::sleep(10);
      reached_yield = true;
      yield_now();  // spindle's next cancellation point throws
    });
    ::sleep(2);
    sleeper.cancel();
    CHECK_THROWS_AS(sleeper.get(), CancelledError);
    CHECK(reached_yield);
    CHECK(left == 8u);  // cancelled after 2 of 10 s: 8 left
  });
}

TEST_CASE("descriptors keep looking blocking, also to a child process") {
  run(io_virtual(), [&] {
    FdPipe p;
    auto reader = spawn([&] {
      char c;
      CHECK(::read(p.r, &c, 1) == 1);
    });
    yield_now();
    CHECK((::fcntl(p.r, F_GETFL) & O_NONBLOCK) == 0);
    CHECK(::write(p.w, "z", 1) == 1);
    reader.join();
    // The child gets the pipe as its stdin and says whether it is non-blocking.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, p.r, 0);
    const char* argv[] = {"/bin/sh", "-c",
                          "python3 -c 'import fcntl,os; os._exit(1 if fcntl.fcntl(0, "
                          "fcntl.F_GETFL) & os.O_NONBLOCK else 0)'",
                          nullptr};
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char**>(argv), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    ::waitpid(pid, &status, 0);  // (a blocking wait on a child is not hooked)
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  });
}

TEST_CASE("a descriptor its owner made non-blocking gives EAGAIN, also through a dup") {
  run(io_virtual(), [&] {
    FdPipe p;
    const int copy = ::dup(p.r);
    REQUIRE(copy >= 0);
    CHECK(::fcntl(copy, F_SETFL, ::fcntl(copy, F_GETFL) | O_NONBLOCK) == 0);
    char c;
    Stopwatch clock;
    CHECK(::read(p.r, &c, 1) == -1);  // the same open file: non-blocking now
    CHECK(errno == EAGAIN);
    CHECK(::read(copy, &c, 1) == -1);
    CHECK(errno == EAGAIN);
    CHECK(clock.elapsed() == 0ms);
    int off = 0;
    CHECK(::ioctl(copy, FIONBIO, &off) == 0);
    auto late = spawn([&] { CHECK(::write(p.w, "q", 1) == 1); });
    CHECK(::read(p.r, &c, 1) == 1);  // blocking again: parks until the writer ran
    CHECK(c == 'q');
    late.join();
    ::close(copy);
  });
}

TEST_CASE("SO_RCVTIMEO and SO_SNDTIMEO hold on the loop's clock") {
  run(io_virtual(), [&] {
    SocketPair s;
    timeval tv{1, 500'000};
    REQUIRE(::setsockopt(s.a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    char buf[4];
    Stopwatch clock;
    CHECK(::recv(s.a, buf, sizeof buf, 0) == -1);
    CHECK(errno == EAGAIN);
    CHECK(clock.elapsed() == 1'500ms);
    // A send that cannot finish: what was written is reported when the timeout passes.
    int small = 4096;
    ::setsockopt(s.a, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    timeval send_tv{0, 200'000};
    REQUIRE(::setsockopt(s.a, SOL_SOCKET, SO_SNDTIMEO, &send_tv, sizeof send_tv) == 0);
    std::vector<char> big(8 << 20, 'x');
    const ssize_t n = ::send(s.a, big.data(), big.size(), 0);
    CHECK(n > 0);
    CHECK(n < static_cast<ssize_t>(big.size()));
    CHECK(clock.elapsed() == 1'700ms);
  });
}

TEST_CASE("a blocking write writes everything while the reader takes it in pieces") {
  run(io_virtual(), [&] {
    SocketPair s;
    int small = 4096;
    ::setsockopt(s.a, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    std::string sent(1 << 20, '\0');
    for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>('a' + i % 26);
    auto reader = spawn(read_up_to, s.b, sent.size());
    CHECK(::write(s.a, sent.data(), sent.size()) == static_cast<ssize_t>(sent.size()));
    CHECK(reader.get() == sent);
    // The same through a pipe (written PIPE_BUF at a time, each once poll says it fits).
    FdPipe p;
    auto pipe_reader = spawn(read_up_to, p.r, sent.size());
    CHECK(::write(p.w, sent.data(), sent.size()) == static_cast<ssize_t>(sent.size()));
    CHECK(pipe_reader.get() == sent);
  });
}

TEST_CASE("a plain POSIX server: socket, bind, listen, accept, read, write only") {
  constexpr int kClients = 200;
  int served = 0;
  run(io_virtual(), [&] {
    std::uint16_t port = 0;
    const int listener = hooks_test::loopback_listener(port);
    auto server = spawn([&] {
      std::vector<Task<void>> conns;
      for (int i = 0; i < kClients; ++i) {
        const int c = ::accept(listener, nullptr, nullptr);
        REQUIRE(c >= 0);
        conns.push_back(spawn([&, c] {
          char buf[64];
          const ssize_t n = ::read(c, buf, sizeof buf);
          if (n > 0 && ::write(c, buf, static_cast<std::size_t>(n)) == n) ++served;
          ::close(c);
        }));
      }
      for (auto& t : conns) t.join();
    });
    std::vector<Task<std::string>> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.push_back(spawn([port, i] {
        const int fd = connect_to(port);
        const std::string msg = "client " + std::to_string(i);
        ::write(fd, msg.data(), msg.size());
        char buf[64];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        ::close(fd);
        return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
      }));
    }
    for (int i = 0; i < kClients; ++i) CHECK(clients[i].get() == "client " + std::to_string(i));
    server.join();
    ::close(listener);
  });
  CHECK(served == kClients);
}

TEST_CASE("two fibers accepting on one listener: one connection goes to exactly one") {
  run(io_virtual(), [&] {
    std::uint16_t port = 0;
    const int listener = hooks_test::loopback_listener(port);
    int accepted = 0;
    auto acceptor = [&] {
      const int c = ::accept(listener, nullptr, nullptr);
      if (c >= 0) {
        ++accepted;
        ::close(c);
      }
    };
    auto a = spawn(acceptor);
    auto b = spawn(acceptor);
    yield_now();
    const int client = connect_to(port);
    ::usleep(100'000);  // both acceptors were woken; the loser parked again instead of blocking
    CHECK(accepted == 1);
    CHECK(a.done() != b.done());
    a.cancel();
    b.cancel();
    ::close(client);
    ::close(listener);
  });
}

TEST_CASE("getaddrinfo and gethostbyname run on the worker pool") {
  run(io_virtual(), [&] {
    std::vector<Task<int>> lookups;
    for (int i = 0; i < 8; ++i) {
      lookups.push_back(spawn([] {
        addrinfo hints{};
        hints.ai_family = AF_INET;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        const int rc = ::getaddrinfo("localhost", "6379", &hints, &res);
        int port = 0;
        if (rc == 0) {
          port = ntohs(reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_port);
          ::freeaddrinfo(res);
        }
        return port;
      }));
    }
    for (auto& t : lookups) CHECK(t.get() == 6379);
    hostent* h = ::gethostbyname("localhost");
    REQUIRE(h != nullptr);
    CHECK(h->h_addrtype == AF_INET);
  });
}

}  // TEST_SUITE

// Outside test-suite "hooks": ThreadSanitizer counts every fiber as a thread and stops at 8,128,
// so its stage runs only the smaller cases; the other builds run this one.
TEST_SUITE("hooks_many_fibers") {

TEST_CASE("sleep_for in 10,000 fibers takes one sleep's time") {
  run_virtual([] {
    Stopwatch clock;
    std::vector<Task<void>> sleepers;
    for (int i = 0; i < 10'000; ++i) {
      sleepers.push_back(spawn([] { std::this_thread::sleep_for(std::chrono::seconds(1)); }));
    }
    for (auto& t : sleepers) t.join();
    CHECK(clock.elapsed() == 1s);
    timespec req{0, 300'000'000};
    CHECK(::nanosleep(&req, nullptr) == 0);
    CHECK(::clock_nanosleep(CLOCK_MONOTONIC, 0, &req, nullptr) == 0);
    CHECK(::sleep(2) == 0u);
    CHECK(clock.elapsed() == 3'600ms);
    timespec bad{0, 1'000'000'000};
    CHECK(::nanosleep(&bad, nullptr) == -1);
    CHECK(errno == EINVAL);
  });
}

}  // TEST_SUITE
