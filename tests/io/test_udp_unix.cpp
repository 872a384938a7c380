// UdpSocket (datagrams, connected UDP, timeouts and cancellation of a parked receive) and Unix
// stream sockets (UnixStream, open_unix_connection, UnixListener and its socket file).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../support.hpp"
#include "spindle/testing.hpp"
#include "io/udp.hpp"
#include "io/unix.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using spindle::UdpSocket;

namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path() / "spindle-unix-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string operator/(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// a + b, appended piecewise (g++ 12 warns falsely on "literal" + std::string).
std::string cat(std::string_view a, std::string_view b) {
  std::string out(a);
  out += b;
  return out;
}

bool is_socket_file(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// Leaves a socket file at `path` that nobody listens on (what a crashed server leaves behind).
void make_stale_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof addr.sun_path);
  path.copy(addr.sun_path, path.size());
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  ::close(fd);
}

std::string receive_text(UdpSocket& s, UdpSocket::Endpoint* from = nullptr) {
  std::string buf(65536, '\0');
  auto [n, sender] = s.receive_from(asio::buffer(buf));
  if (from) *from = sender;
  buf.resize(n);
  return buf;
}

std::string read_all(spindle::UnixStream& s) {
  std::string out;
  char buf[256];
  while (std::size_t n = s.read_some(asio::buffer(buf))) out.append(buf, n);
  return out;
}

}  // namespace

TEST_SUITE("udp_unix") {

TEST_CASE("udp: datagrams keep their boundaries, sizes and senders in both directions") {
  spindle::run([] {
    auto server = UdpSocket::bind("127.0.0.1", 0);
    auto client = UdpSocket::bind("127.0.0.1", 0);
    CHECK(server.port() != 0);
    CHECK(server.local_endpoint().address().to_string() == "127.0.0.1");

    const std::string big(60000, 'x');
    const std::vector<std::string> sent{"a", "bb", "", "ccc", big};
    for (const auto& d : sent) CHECK(client.send_to(d, server.local_endpoint()) == d.size());
    for (const auto& d : sent) {
      UdpSocket::Endpoint from;
      CHECK(receive_text(server, &from) == d);
      CHECK(from == client.local_endpoint());
      server.send_to(cat("echo:", d.substr(0, 10)), from);
    }
    for (const auto& d : sent) {
      UdpSocket::Endpoint from;
      CHECK(receive_text(client, &from) == cat("echo:", d.substr(0, 10)));
      CHECK(from == server.local_endpoint());
    }

    // A buffer smaller than the datagram gets its first bytes; the rest of it is discarded.
    client.send_to("0123456789", server.local_endpoint());
    client.send_to("next", server.local_endpoint());
    char small[4];
    CHECK(server.receive_from(asio::buffer(small)).size == 4);
    CHECK(std::string_view(small, 4) == "0123");
    CHECK(receive_text(server) == "next");
  });
}

TEST_CASE("udp: a connected socket sends to and receives from its peer only") {
  spindle::run(spindle_test::io_virtual(), [] {
    auto server = UdpSocket::bind("127.0.0.1", 0);
    UdpSocket client;
    CHECK(!client.is_open());
    client.connect("127.0.0.1", server.port());
    CHECK(client.is_open());
    CHECK(client.remote_endpoint() == server.local_endpoint());

    CHECK(client.send("ping") == 4);
    UdpSocket::Endpoint from;
    CHECK(receive_text(server, &from) == "ping");
    CHECK(from == client.local_endpoint());

    auto intruder = UdpSocket::bind("127.0.0.1", 0);
    intruder.send_to("intruder", client.local_endpoint());  // dropped: not from the peer
    server.send_to("pong", from);
    char buf[64];
    const std::size_t n = client.receive(asio::buffer(buf));
    CHECK(std::string_view(buf, n) == "pong");

    // A peer that is gone: the ICMP "port unreachable" surfaces as connection_refused.
    UdpSocket::Endpoint closed;
    {
      auto gone = UdpSocket::bind("127.0.0.1", 0);
      closed = gone.local_endpoint();
    }
    UdpSocket lonely;
    lonely.connect(closed);
    lonely.send("anyone?");
    try {
      spindle::timeout(10s, [&] { lonely.receive(asio::buffer(buf)); });
      FAIL("receive from a closed port did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == asio::error::connection_refused);
    }
  });
}

TEST_CASE("udp: a receive times out at its virtual deadline and the socket stays usable") {
  spindle::run(spindle_test::io_virtual(), [] {
    auto a = UdpSocket::bind("127.0.0.1", 0);
    auto b = UdpSocket::bind("127.0.0.1", 0);
    spindle_test::Stopwatch sw;
    CHECK_THROWS_AS(spindle::timeout(3s, [&] { receive_text(a); }), spindle::TimeoutError);
    CHECK(sw.elapsed() == 3s);
    const auto got = spindle::move_on_after(250ms, [&] { return receive_text(a); });
    CHECK(!got.has_value());
    CHECK(sw.elapsed() == 3250ms);
    b.send_to("late", a.local_endpoint());
    CHECK(receive_text(a) == "late");
    CHECK(sw.elapsed() == 3250ms);
  });
}

TEST_CASE("udp: cancelling a parked receive consumes nothing") {
  spindle_test::Recorder rec;
  spindle::run([&] {
    auto a = UdpSocket::bind("127.0.0.1", 0);
    auto b = UdpSocket::bind("127.0.0.1", 0);
    auto receiver = spindle::spawn([&] {
      try {
        receive_text(a);
        rec("received");
      } catch (const spindle::CancelledError& e) {
        rec(cat("cancelled: ", e.message()));
      }
    });
    spindle::yield_now();  // the receiver runs and parks in receive_from
    CHECK(receiver.cancel("stop"));
    receiver.get();
    b.send_to("kept", a.local_endpoint());
    CHECK(receive_text(a) == "kept");

    // close() ends a parked receive with operation_aborted.
    auto parked = spindle::spawn([&] { receive_text(a); });
    spindle::testing::wait_all_blocked();
    a.close();
    try {
      parked.get();
      FAIL("receive on a closed socket did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == asio::error::operation_aborted);
    }
  });
  CHECK(rec.str() == "cancelled: stop");
}

TEST_CASE("unix: echo over a Unix stream, with half-close") {
  TempDir dir;
  const std::string path = dir / "echo.sock";
  spindle::run([&] {
    auto listener = spindle::UnixListener::bind(path);
    CHECK(listener.path() == path);
    CHECK(is_socket_file(path));
    auto server = spindle::spawn([&] {
      spindle::UnixStream s = listener.accept();
      int lines = 0;
      for (std::string line; !(line = s.read_line()).empty(); ++lines) s.write_all(cat("echo ", line));
      // The client has shut down its side: this side can still write.
      std::string bye = "bye after ";
      bye += std::to_string(lines);
      bye += " lines\n";
      s.write_all(bye);
    });
    spindle::UnixStream c = spindle::open_unix_connection(path);
    CHECK(c.remote_endpoint().path() == path);
    c.write_all("one\ntwo\n");
    CHECK(c.read_line() == "echo one\n");
    c.write_all("three\n");
    c.shutdown_write();
    CHECK(c.read_exactly(9) == "echo two\n");
    CHECK(read_all(c) == "echo three\nbye after 3 lines\n");
    server.get();
  });
}

TEST_CASE("unix: bind replaces a stale socket file, never a live socket or another file") {
  TempDir dir;
  spindle::run([&] {
    const std::string stale = dir / "stale.sock";
    make_stale_socket(stale);
    REQUIRE(is_socket_file(stale));
    try {
      spindle::open_unix_connection(stale);
      FAIL("connecting to a stale socket did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == asio::error::connection_refused);
    }
    auto listener = spindle::UnixListener::bind(stale);
    auto server = spindle::spawn([&] { listener.accept().write_all("fresh\n"); });
    auto c = spindle::open_unix_connection(stale);
    CHECK(c.read_line() == "fresh\n");
    server.get();

    // A live listener is not taken over, and keeps working.
    try {
      spindle::UnixListener::bind(stale);
      FAIL("binding over a live socket did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == boost::system::errc::address_in_use);
      CHECK(std::string(e.what()).find(stale) != std::string::npos);
    }
    // bind() found it live by connecting to it: the listener sees that probe as an empty connection.
    auto server2 = spindle::spawn([&] {
      CHECK(listener.accept().read_line() == "");
      listener.accept().write_all("still here\n");
    });
    CHECK(spindle::open_unix_connection(stale).read_line() == "still here\n");
    server2.get();

    // A file that is not a socket is left alone.
    const std::string regular = dir / "regular";
    std::ofstream(regular) << "data";
    CHECK_THROWS_AS(spindle::UnixListener::bind(regular), boost::system::system_error);
    CHECK(std::filesystem::is_regular_file(regular));
    CHECK(std::filesystem::file_size(regular) == 4);

    try {
      spindle::UnixListener::bind(dir / std::string(200, 'n'));
      FAIL("binding a path longer than sun_path did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == asio::error::name_too_long);
    }

    try {
      spindle::open_unix_connection(dir / "missing.sock");
      FAIL("connecting to a missing path did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == boost::system::errc::no_such_file_or_directory);
    }
  });
}

TEST_CASE("unix: the listener unlinks its socket file on close and on destruction, only its own") {
  TempDir dir;
  spindle::run([&] {
    const std::string path = dir / "a.sock";
    auto listener = spindle::UnixListener::bind(path);
    auto parked = spindle::spawn([&] { listener.accept(); });
    spindle::testing::wait_all_blocked();  // parked in accept
    CHECK(is_socket_file(path));
    listener.close();
    CHECK(!std::filesystem::exists(path));
    CHECK(!listener.is_open());
    try {
      parked.get();
      FAIL("accept on a closed listener did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == asio::error::operation_aborted);
    }
    listener.close();  // twice is harmless

    {
      auto scoped = spindle::UnixListener::bind(path);
      auto moved = std::move(scoped);  // the file follows the listener, unlinked once
      CHECK(is_socket_file(path));
    }
    CHECK(!std::filesystem::exists(path));

    // The path was replaced behind the listener's back: the new file is not the listener's.
    {
      auto old = spindle::UnixListener::bind(path);
      std::filesystem::remove(path);
      std::ofstream(path) << "someone else's";
      old.close();
      CHECK(std::filesystem::is_regular_file(path));
    }
  });
}

}  // TEST_SUITE
