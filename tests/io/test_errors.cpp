// What the network calls' errors say: the operation and what it was done to ("connect
// 127.0.0.1:1: Connection refused", as Go and asyncio print them), never Asio's source location;
// ports outside 0–65535 refused with std::invalid_argument instead of wrapping. (accept's errors
// are in test_faults.cpp, where descriptors run out.)
#include <sys/un.h>

#include <cerrno>
#include <string>

#include "../support.hpp"

using namespace std::chrono_literals;
using spindle::TcpListener;
using spindle::UdpSocket;

namespace {

// A port nothing listens on: connecting is refused at once.
std::uint16_t closed_port() { return TcpListener::bind("127.0.0.1", 0).port(); }

// what() of the boost::system::system_error that `f` throws, after checking its errno.
template <class F>
std::string system_error_text(F f, int expected_errno) {
  try {
    f();
  } catch (const boost::system::system_error& e) {
    CHECK(e.code().value() == expected_errno);
    return e.what();
  }
  return "(no error)";
}

template <class F>
std::string invalid_argument_text(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.starts_with(prefix); }

}  // namespace

TEST_SUITE("errors") {

TEST_CASE("open_connection refused: \"connect 127.0.0.1:PORT: Connection refused\"") {
  spindle::run([] {
    const std::uint16_t port = closed_port();
    const std::string p = std::to_string(port);
    CHECK(system_error_text([&] { spindle::open_connection("127.0.0.1", port); }, ECONNREFUSED) ==
          "connect 127.0.0.1:" + p + ": Connection refused");
    // A name: its addresses depend on /etc/hosts (127.0.0.1, maybe ::1), the head does not.
    const std::string named =
        system_error_text([&] { spindle::open_connection("localhost", port); }, ECONNREFUSED);
    CHECK(starts_with(named, "connect localhost:" + p));
    CHECK(named.ends_with("Connection refused"));
  });
}

TEST_CASE("resolve and open_connection of an unknown host: \"resolve host:port: Host not found\"") {
  spindle::run([] {
    // Without a DNS server the resolver says "Host not found (non-authoritative), try again later".
    try {
      spindle::resolve("nosuch.invalid", "80");
      FAIL("resolve did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(starts_with(e.what(), "resolve nosuch.invalid:80: Host not found"));
    }
    try {
      spindle::open_connection("nosuch.invalid", 80);
      FAIL("open_connection did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(starts_with(e.what(), "resolve nosuch.invalid:80: Host not found"));
    }
  });
}

TEST_CASE("bind, TCP and UDP alike: \"bind host:port: error\"") {
  spindle::run([] {
    auto port_in_use = [](auto bind) {
      auto taken = bind(0);
      CHECK(system_error_text([&] { bind(taken.port()); }, EADDRINUSE) ==
            "bind 127.0.0.1:" + std::to_string(taken.port()) + ": Address already in use");
    };
    port_in_use([](spindle::Port port) { return TcpListener::bind("127.0.0.1", port); });
    port_in_use([](spindle::Port port) { return UdpSocket::bind("127.0.0.1", port); });
    // 192.0.2.1 (TEST-NET-1) is no address of this machine.
    CHECK(system_error_text([] { TcpListener::bind("192.0.2.1", 8080); }, EADDRNOTAVAIL) ==
          "bind 192.0.2.1:8080: Cannot assign requested address");
    CHECK(system_error_text([] { UdpSocket::bind("192.0.2.1", 8080); }, EADDRNOTAVAIL) ==
          "bind 192.0.2.1:8080: Cannot assign requested address");
  });
}

TEST_CASE("UdpSocket::connect: \"connect host:port: error\"") {
  spindle::run([] {
    // Connecting a datagram socket to the broadcast address needs SO_BROADCAST: EACCES.
    CHECK(system_error_text([] { UdpSocket().connect("255.255.255.255", 9); }, EACCES) ==
          "connect 255.255.255.255:9: Permission denied");
    const UdpSocket::Endpoint broadcast(boost::asio::ip::make_address("255.255.255.255"), 9);
    CHECK(system_error_text([&] { UdpSocket().connect(broadcast); }, EACCES) ==
          "connect 255.255.255.255:9: Permission denied");
  });
}

TEST_CASE("Unix sockets: errors name the path (an abstract name as @name)") {
  spindle::run([] {
    CHECK(system_error_text(
              [] { spindle::open_unix_connection("/nonexistent-spindle-dir/s.sock"); }, ENOENT) ==
          "connect /nonexistent-spindle-dir/s.sock: No such file or directory");
    CHECK(system_error_text([] { spindle::UnixListener::bind("/nonexistent-spindle-dir/s.sock"); },
                            ENOENT) ==
          "bind /nonexistent-spindle-dir/s.sock: No such file or directory");
    const std::string abstract("\0spindle-test-nobody-listens", 28);
    CHECK(system_error_text([&] { spindle::open_unix_connection(abstract); }, ECONNREFUSED) ==
          "connect @spindle-test-nobody-listens: Connection refused");
    const std::string too_long = "/" + std::string(sizeof(sockaddr_un::sun_path), 'x');
    CHECK(system_error_text([&] { spindle::open_unix_connection(too_long); }, ENAMETOOLONG) ==
          "connect " + too_long + ": File name too long");
    CHECK(system_error_text([&] { spindle::UnixListener::bind(too_long); }, ENAMETOOLONG) ==
          "bind " + too_long + ": File name too long");
  });
}

TEST_CASE("host_port writes an IPv6 address in brackets, as Go's JoinHostPort") {
  CHECK(spindle::detail::host_port("127.0.0.1", "80") == "127.0.0.1:80");
  CHECK(spindle::detail::host_port("::1", "80") == "[::1]:80");
  CHECK(spindle::detail::host_port("example.com", spindle::Port(8080)) == "example.com:8080");
  const boost::asio::ip::tcp::endpoint v6(boost::asio::ip::make_address("::1"), 443);
  CHECK(spindle::detail::endpoint_text(v6) == "[::1]:443");
}

TEST_CASE("a port outside 0-65535 → std::invalid_argument naming it, before any I/O") {
  const int too_big = 70000;  // as a std::uint16_t it would be port 4464
  const long negative = -1;
  const std::size_t huge = 1ull << 40;
  CHECK(invalid_argument_text([&] { (void)spindle::Port(too_big); }) ==
        "port 70000 is out of range 0-65535");
  CHECK(invalid_argument_text([&] { (void)spindle::Port(negative); }) ==
        "port -1 is out of range 0-65535");
  CHECK(invalid_argument_text([&] { (void)spindle::Port(huge); }) ==
        "port 1099511627776 is out of range 0-65535");
  CHECK(spindle::Port(0).value() == 0);
  CHECK(spindle::Port(65535).value() == 65535);
  CHECK(spindle::Port(std::uint16_t{80}) == spindle::Port(80));
  static_assert(spindle::Port(443).value() == 443);  // checked at compile time when constant

  spindle::run([&] {
    const std::size_t fds = spindle_test::open_fd_count();
    const std::string message = "port 70000 is out of range 0-65535";
    CHECK(invalid_argument_text([&] { spindle::open_connection("127.0.0.1", too_big); }) ==
          message);
    CHECK(invalid_argument_text([&] { TcpListener::bind("127.0.0.1", too_big); }) == message);
    CHECK(invalid_argument_text([&] { UdpSocket::bind("127.0.0.1", too_big); }) == message);
    CHECK(invalid_argument_text([&] {
            spindle::start_server("127.0.0.1", too_big, [](spindle::TcpStream) {});
          }) == message);
    CHECK(invalid_argument_text([&] { UdpSocket().connect("127.0.0.1", negative); }) ==
          "port -1 is out of range 0-65535");
    CHECK(spindle_test::open_fd_count() == fds);
  });
}

}  // TEST_SUITE
