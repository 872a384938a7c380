// Faults a server meets in production, against start_server/TcpStream: peers that reset or
// half-close, slow clients, refused connections, running out of file descriptors, 10,000
// concurrent connections, and cancellation that must never leave a descriptor behind.
#include <spdlog/sinks/base_sink.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>

#include "../support.hpp"
#include "spindle/testing.hpp"
#include "scheduler/detail/logger.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;
using spindle::TcpStream;

namespace {

// Echoes every line until end of stream.
void echo_lines(TcpStream& s) {
  for (std::string line; !(line = s.read_line()).empty();) s.write_all(line);
}

std::string echo_round_trip(TcpStream& c, const std::string& line) {
  c.write_all(line);
  return c.read_line();
}

// Closes with SO_LINGER {on, 0}: the peer gets a RST instead of a FIN.
void reset(TcpStream& c) {
  c.stream().set_option(asio::socket_base::linger(true, 0));
  c.close();
}

// Fibers parked on `what` among the tasks named `name`, from dump_tasks.
std::size_t parked_on(const std::string& name, const std::string& what) {
  std::ostringstream out;
  spindle::dump_tasks(out);
  std::istringstream lines(out.str());
  std::string needle = "parked on ";
  needle += what;
  needle += " for";
  std::string quoted = "'";
  quoted += name;
  quoted += "'";
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(quoted) != std::string::npos && line.find(needle) != std::string::npos) ++n;
  }
  return n;
}

// An spdlog sink that counts the server's accept back-off warnings, stamps them with the loop's
// time and wakes the test (it runs on the loop thread, inside the logging call).
class BackoffSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<spindle::TimePoint> times;
  std::vector<std::string> messages;
  spindle::Event logged;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string text(msg.payload.data(), msg.payload.size());
    if (text.find("retrying accept") == std::string::npos) return;
    times.push_back(spindle::now());
    messages.push_back(text);
    logged.set();
  }
  void flush_() override {}
};

// Lowers the soft RLIMIT_NOFILE to a few descriptors above the highest open one and takes the rest
// with dup() until EMFILE. release() (or the destructor) gives everything back.
class FdExhaustion {
 public:
  FdExhaustion() {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    int highest = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::stoi(e.path().filename().string()));
    }
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(highest) + 8;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    const int base = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(base >= 0);
    fds_.push_back(base);
    for (;;) {
      const int fd = ::fcntl(base, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) {
        REQUIRE(errno == EMFILE);
        break;
      }
      fds_.push_back(fd);
    }
  }
  ~FdExhaustion() { release(); }
  void release() {
    for (int fd : fds_) ::close(fd);
    fds_.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> fds_;
};


std::string numbered_line(const char* prefix, int i) {
  std::string line = prefix;
  line += std::to_string(i);
  line += "\n";
  return line;
}

// The client side of the 10,000-connection test, run in a forked child (its own loop): n fibers
// each connect and send a line, wait at a barrier until all n are connected, then read their echo.
// Prints "<k> echoes right" and returns the exit status.
int run_clients(std::uint16_t port, int n) {
  int right = 0;
  try {
    spindle::run([&] {
      spindle::Barrier all_connected(n);
      spindle::Semaphore connecting(256);  // bounds the SYN burst, not the open connections
      spindle::task_group([&](spindle::TaskGroup& g) {
        for (int i = 0; i < n; ++i) {
          g.spawn([&, i] {
            const std::string line = numbered_line("client ", i);
            std::optional<TcpStream> c;
            {
              std::lock_guard held(connecting);
              c.emplace(spindle::open_connection("127.0.0.1", port));
              c->write_all(line);
            }
            all_connected.wait();
            if (c->read_line() == line) ++right;
          });
        }
      });
    });
  } catch (const std::exception& e) {
    std::printf("clients failed: %s\n", e.what());
    return 1;
  }
  std::printf("%d echoes right\n", right);
  return right == n ? 0 : 1;
}

}  // namespace

TEST_SUITE("faults") {

TEST_CASE("faults: a peer reset mid-read ends only that connection's fiber") {
  spindle_test::LogCapture log;
  spindle::run([&] {
    std::optional<boost::system::error_code> read_error;
    spindle::Event reset_seen;
    auto server = spindle::start_server("127.0.0.1", 0, [&](TcpStream s) {
      if (s.read_line() != "reset me\n") return echo_lines(s);
      s.write_all("ready\n");
      try {
        s.read_line();
        FAIL("read_line returned after a reset");
      } catch (const boost::system::system_error& e) {
        read_error = e.code();
        reset_seen.set();
        throw;  // ends this connection; the server logs it
      }
    });
    auto other = spindle::open_connection("127.0.0.1", server.port());
    other.write_all("echo\n");
    CHECK(echo_round_trip(other, "before\n") == "before\n");

    auto victim = spindle::open_connection("127.0.0.1", server.port());
    victim.write_all("reset me\n");
    CHECK(victim.read_line() == "ready\n");
    victim.write_all("half a li");  // the handler is in the middle of a line
    reset(victim);
    reset_seen.wait();
    REQUIRE(read_error.has_value());
    CHECK(*read_error == asio::error::connection_reset);

    CHECK(echo_round_trip(other, "after\n") == "after\n");
    CHECK(server.connections() == 1);  // the reset one has ended, the other goes on
    auto late = spindle::open_connection("127.0.0.1", server.port());
    late.write_all("echo\n");
    CHECK(echo_round_trip(late, "new\n") == "new\n");
    CHECK(server.connections() == 2);
    CHECK(server.is_serving());

    server.close();  // stops accepting; the connections go on and are still counted
    CHECK(echo_round_trip(other, "after close\n") == "after close\n");
    CHECK(!server.is_serving());
    CHECK(server.connections() == 2);
    other.close();
    late.close();
    server.wait_closed();
    CHECK(server.connections() == 0);
  });
  CHECK(log.count("connection ended") == 1);
  CHECK(log.contains("Connection reset by peer"));
  CHECK(!log.contains("error"));
}

TEST_CASE("faults: a peer reset mid-write fails write_all and ends only that connection") {
  spindle_test::LogCapture log;
  spindle::run([&] {
    std::optional<boost::system::error_code> write_error;
    std::size_t written = 0;
    spindle::Event reset_seen;
    auto server = spindle::start_server("127.0.0.1", 0, [&](TcpStream s) {
      if (s.read_line() != "flood\n") return echo_lines(s);
      const std::string chunk(64 * 1024, 'f');
      try {
        for (;;) {
          s.write_all(chunk);
          written += chunk.size();
        }
      } catch (const boost::system::system_error& e) {
        write_error = e.code();
        reset_seen.set();
        throw;
      }
    });
    auto other = spindle::open_connection("127.0.0.1", server.port());
    other.write_all("echo\n");
    CHECK(echo_round_trip(other, "before\n") == "before\n");

    auto victim = spindle::open_connection("127.0.0.1", server.port());
    victim.write_all("flood\n");
    CHECK(victim.read_exactly(100000) == std::string(100000, 'f'));  // the flood is under way
    CHECK(echo_round_trip(other, "during\n") == "during\n");
    reset(victim);
    reset_seen.wait();
    REQUIRE(write_error.has_value());
    CHECK(*write_error == asio::error::connection_reset);
    CHECK(written >= 100000);

    CHECK(echo_round_trip(other, "after\n") == "after\n");
    CHECK(server.connections() == 1);
    other.close();
    server.close();
    server.wait_closed();
  });
  CHECK(log.count("connection ended") == 1);
  CHECK(!log.contains("error"));
}

TEST_CASE("faults: after the peer half-closes, the server reads the rest, then replies") {
  spindle::run([] {
    auto server = spindle::start_server("127.0.0.1", 0, [](TcpStream s) {
      std::string got;
      int lines = 0;
      for (std::string line; !(line = s.read_line()).empty(); ++lines) got += line;
      CHECK(s.read_some(asio::mutable_buffer()) == 0);  // end of stream stays end of stream
      std::string reply = std::to_string(lines);
      reply += " lines, ";
      reply += std::to_string(got.size());
      reply += " bytes\n";
      s.write_all(reply);
    });
    auto c = spindle::open_connection("127.0.0.1", server.port());
    c.write_all("one\ntwo\nthree, no newline");
    c.shutdown_write();
    CHECK(c.read_line() == "3 lines, 25 bytes\n");
    CHECK(c.read_line() == "");  // the server closed after replying
    server.close();
    server.wait_closed();
  });
}

TEST_CASE("faults: a slow client is cut by its handler's timeout; a fast client is not affected") {
  spindle_test::Recorder rec;
  std::vector<spindle::Duration> cut_after;
  spindle::run(spindle_test::io_virtual(), [&] {
    rec.start();
    spindle::Event slow_in_handler;
    auto server = spindle::start_server("127.0.0.1", 0, [&](TcpStream s) {
      const spindle::TimePoint start = spindle::now();
      try {
        const bool slow = spindle::timeout(5s, [&] { return s.read_line(); }) == "slow\n";
        if (slow) slow_in_handler.set();
        for (;;) {
          const std::string line = spindle::timeout(5s, [&] { return s.read_line(); });  // per line
          if (line.empty()) return;
          s.write_all(line);
        }
      } catch (const spindle::TimeoutError&) {
        cut_after.push_back(spindle::now() - start);
        s.write_all("too slow\n");
      }
    });
    auto slow = spindle::spawn([&] {
      auto c = spindle::open_connection("127.0.0.1", server.port());
      c.write_all("slow\nhalf a li");  // never finishes its line
      CHECK(c.read_line() == "too slow\n");
      rec.at("slow cut");
      CHECK(c.read_line() == "");
    });
    slow_in_handler.wait();
    auto c = spindle::open_connection("127.0.0.1", server.port());
    c.write_all("fast\n");
    for (int i = 1; i <= 10; ++i) {
      spindle::sleep(700ms);
      const std::string line = numbered_line("line ", i);
      CHECK(echo_round_trip(c, line) == line);
      std::string event = "fast ";
      event += std::to_string(i);
      rec.at(event);
    }
    slow.get();
    c.close();
    server.close();
    server.wait_closed();
  });
  CHECK(rec.str() ==
        "fast 1@700ms, fast 2@1400ms, fast 3@2100ms, fast 4@2800ms, fast 5@3500ms, fast 6@4200ms, "
        "fast 7@4900ms, slow cut@5000ms, fast 8@5600ms, fast 9@6300ms, fast 10@7000ms");
  REQUIRE(cut_after.size() == 1);
  CHECK(cut_after[0] == 5s);
}

TEST_CASE("faults: connecting to a closed port throws connection_refused") {
  spindle::run([] {
    std::uint16_t closed = 0;
    {
      auto listener = spindle::TcpListener::bind("127.0.0.1", 0);
      closed = listener.port();
    }
    try {
      spindle::open_connection("127.0.0.1", closed);
      FAIL("open_connection to a closed port did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == asio::error::connection_refused);
      CHECK(e.code().value() == ECONNREFUSED);
    }
  });
}

TEST_CASE("faults: out of file descriptors, the server logs, backs off and accepts once they are back") {
  spindle_test::LogCapture log;
  auto sink = std::make_shared<BackoffSink>();
  spindle::detail::logger().sinks().push_back(sink);  // LogCapture's destructor removes it
  spindle::run(spindle_test::io_virtual(), [&] {
    auto server = spindle::start_server("127.0.0.1", 0, [](TcpStream s) { echo_lines(s); });
    auto existing = spindle::open_connection("127.0.0.1", server.port());
    CHECK(echo_round_trip(existing, "before\n") == "before\n");

    tcp::socket pending(spindle::this_loop().io_context());
    pending.open(tcp::v4());  // its descriptor is taken before they run out
    std::optional<FdExhaustion> exhausted(std::in_place);
    pending.async_connect(server.local_endpoint(), spindle::use_fiber);  // queued, not accepted
    TcpStream late(std::move(pending));
    late.write_all("accepted at last\n");
    while (sink->times.size() < 2) {
      sink->logged.clear();
      sink->logged.wait();
    }
    CHECK(sink->times[1] - sink->times[0] == 10ms);
    CHECK(echo_round_trip(existing, "during\n") == "during\n");  // served without new descriptors
    CHECK(server.connections() == 1);

    exhausted.reset();  // the descriptors are back: the next retry (in 20 ms) accepts
    CHECK(late.read_line() == "accepted at last\n");
    CHECK(spindle::now() == sink->times[1] + 20ms);
    CHECK(server.connections() == 2);
    CHECK(echo_round_trip(existing, "after\n") == "after\n");
    existing.close();
    late.close();
    server.close();
    server.wait_closed();
  });
  REQUIRE(sink->messages.size() == 2);
  CHECK(sink->messages[0].find("Too many open files") != std::string::npos);
  CHECK(sink->messages[0].find("retrying accept in 10 ms") != std::string::npos);
  CHECK(sink->messages[1].find("retrying accept in 20 ms") != std::string::npos);
  CHECK(log.count("warning: server: accept") == 2);
}

TEST_CASE("faults: accept out of file descriptors names the listener (TCP address, Unix path)") {
  spindle::run([] {
    auto& io = spindle::this_loop().io_context();
    auto tcp_listener = spindle::TcpListener::bind("127.0.0.1", 0);
    const std::string name = "spindle-faults-accept-" + std::to_string(::getpid());
    const std::string abstract = '\0' + name;  // no file to remove
    auto unix_listener = spindle::UnixListener::bind(abstract);
    tcp::socket tcp_client(io);
    tcp_client.open(tcp::v4());  // their descriptors are taken before they run out
    asio::local::stream_protocol::socket unix_client(io);
    unix_client.open();
    FdExhaustion exhausted;
    tcp_client.async_connect(tcp_listener.local_endpoint(), spindle::use_fiber);  // queued
    unix_client.async_connect(asio::local::stream_protocol::endpoint(abstract), spindle::use_fiber);
    auto accept_error = [](auto& listener) -> std::string {
      try {
        listener.accept();
      } catch (const boost::system::system_error& e) {
        CHECK(e.code().value() == EMFILE);
        return e.what();
      }
      return "accepted";
    };
    CHECK(accept_error(tcp_listener) ==
          "accept 127.0.0.1:" + std::to_string(tcp_listener.port()) + ": Too many open files");
    CHECK(accept_error(unix_listener) == "accept @" + name + ": Too many open files");
  });
}

TEST_CASE("faults: 10,000 concurrent connections to one server") {
  constexpr int kClients = 10000;
  // The server's 10,000 ends live in this process, the clients' in a forked child: each process
  // needs 10,000 descriptors plus its own few.
  constexpr rlim_t kNeeded = kClients + 100;
  rlimit lim{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < kNeeded) {
    FAIL("RLIMIT_NOFILE hard limit is " << lim.rlim_max << ": this test needs " << kNeeded
         << " descriptors per process (raise it, e.g. ulimit -Hn 65536)");
  }
  const rlimit saved = lim;
  lim.rlim_cur = lim.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lim) == 0);

  int port_pipe[2], out_pipe[2];
  REQUIRE(::pipe2(port_pipe, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
  std::fflush(nullptr);  // the child must not repeat what this process has buffered
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(port_pipe[1]);
    ::close(out_pipe[0]);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(out_pipe[1], STDERR_FILENO);
    std::uint16_t port = 0;
    if (::read(port_pipe[0], &port, sizeof port) != sizeof port) ::_exit(2);  // the parent failed
    const int status = run_clients(port, kClients);
    std::fflush(stdout);
    ::_exit(status);
  }
  ::close(port_pipe[0]);
  ::close(out_pipe[1]);

  std::size_t peak = 0;
  int echoed = 0, ended = 0;
  std::string child_output;
  spindle::run([&] {
    std::optional<spindle::Server> server;
    spindle::Event all_in;
    int arrived = 0;
    server.emplace(spindle::start_server("127.0.0.1", 0, [&](TcpStream s) {
      const std::string line = s.read_line();
      if (++arrived == kClients) {
        peak = server->connections();  // every connection is open and parked right here
        all_in.set();
      }
      all_in.wait();  // no echo until all 10,000 are in
      s.write_all(line);
      ++echoed;
      if (s.read_line().empty()) ++ended;  // the client closes after reading its echo
    }));
    const std::uint16_t port = server->port();
    REQUIRE(::write(port_pipe[1], &port, sizeof port) == sizeof port);
    ::close(port_pipe[1]);

    asio::posix::stream_descriptor out_fd(spindle::this_loop().io_context(), out_pipe[0]);
    spindle::BufferedStream<asio::posix::stream_descriptor> out(std::move(out_fd));
    try {
      spindle::timeout(300s, [&] {  // a safety net only: the whole test takes a few seconds
        for (std::string line; !(line = out.read_line()).empty();) child_output += line;
      });
    } catch (const spindle::TimeoutError&) {
      ::kill(child, SIGKILL);
      FAIL("the client process did not finish within 300 s; it wrote: " << child_output);
    }
    server->close();
    server->wait_closed();
  });
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::setrlimit(RLIMIT_NOFILE, &saved);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(child_output == "10000 echoes right\n");
  CHECK(peak == kClients);
  CHECK(echoed == kClients);
  CHECK(ended == kClients);
}

TEST_CASE("faults: cancelling handlers and clients mid-read and mid-write leaves no descriptor behind") {
  spindle_test::LogCapture log;
  const std::size_t fds_before = spindle_test::open_fd_count();
  spindle::run(spindle_test::io_virtual(), [&] {
    const std::size_t fds_in_loop = spindle_test::open_fd_count();
    const std::string chunk(256 * 1024, 'w');
    // Three connections where both sides park mid-read, three where both park mid-write; then one
    // side is cancelled while the other is still parked, and then the other ends too.
    auto round = [&](bool cancel_handlers_first) {
      int handlers_cancelled = 0;
      auto server = spindle::start_server("127.0.0.1", 0, [&](TcpStream s) {
        try {
          if (s.read_line() == "write to me\n") {
            for (;;) s.write_all(chunk);  // the client never reads
          }
          s.read_line();  // the client sends nothing more
        } catch (const spindle::CancelledError&) {
          ++handlers_cancelled;
          throw;
        }
      });
      std::vector<std::string> client_ends;
      std::vector<spindle::Task<void>> clients;
      for (int i = 0; i < 3; ++i) {
        clients.push_back(spindle::spawn(spindle::SpawnOptions{.name = "reading client"}, [&] {
          auto c = spindle::open_connection("127.0.0.1", server.port());
          c.write_all("quiet\n");
          client_ends.push_back(c.read_line().empty() ? "eof" : "data");  // the server never writes
        }));
        clients.push_back(spindle::spawn(spindle::SpawnOptions{.name = "writing client"}, [&] {
          auto c = spindle::open_connection("127.0.0.1", server.port());
          c.write_all("write to me\n");
          try {
            for (;;) c.write_all(chunk);  // the server never reads
          } catch (const boost::system::system_error&) {
            client_ends.push_back("write failed");
          }
        }));
      }
      // Every fiber has parked (the writers' socket buffers are full); dump_tasks shows where.
      spindle::testing::wait_all_blocked();
      CHECK(parked_on("connection", "read") == 3);
      CHECK(parked_on("connection", "write") == 3);
      CHECK(parked_on("reading client", "read") == 3);
      CHECK(parked_on("writing client", "write") == 3);
      CHECK(spindle_test::open_fd_count() == fds_in_loop + 1 + 12);  // the listener, both ends of six connections

      if (cancel_handlers_first) {
        CHECK(!server.shutdown(0s));  // grace 0: every connection is cancelled where it is parked
        CHECK(handlers_cancelled == 6);
        for (auto& c : clients) c.join();  // their peers are gone: end of stream, failed writes
        std::sort(client_ends.begin(), client_ends.end());
        CHECK(client_ends == std::vector<std::string>{"eof", "eof", "eof", "write failed", "write failed",
                                                      "write failed"});
      } else {
        for (auto& c : clients) c.cancel();
        for (auto& c : clients) {
          c.join();
          CHECK(c.cancelled());
        }
        CHECK(client_ends.empty());
        CHECK(server.shutdown(10s));  // the handlers see their peers gone and end by themselves
        CHECK(handlers_cancelled == 0);
      }
      CHECK(server.connections() == 0);
      CHECK(spindle_test::open_fd_count() == fds_in_loop);
    };
    round(true);
    round(false);
  });
  CHECK(spindle_test::open_fd_count() == fds_before);
}

}  // TEST_SUITE
