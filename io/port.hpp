#pragma once
// Port: a TCP/UDP port number that is checked where it is made. Every call that takes a port
// (open_connection, start_server, TcpListener::bind, UdpSocket::bind/connect) takes a Port, which
// converts implicitly from any integer type, so `open_connection("h", 80)` reads as before, but a
// value outside 0–65535 → std::invalid_argument("port 70000 is out of range 0-65535") instead of
// wrapping silently to another port (70000 would be 4464 as a std::uint16_t). In a constant
// expression an out-of-range port does not compile.
#include <concepts>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace spindle {

class Port {
 public:
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  constexpr Port(I number) : value_(checked(number)) {}  // NOLINT: implicit on purpose

  constexpr std::uint16_t value() const { return value_; }
  friend constexpr bool operator==(Port, Port) = default;

 private:
  template <class I>
  static constexpr std::uint16_t checked(I number) {
    if (!std::in_range<std::uint16_t>(number)) {
      throw std::invalid_argument("port " + std::to_string(number) + " is out of range 0-65535");
    }
    return static_cast<std::uint16_t>(number);
  }
  std::uint16_t value_;
};

}  // namespace spindle
