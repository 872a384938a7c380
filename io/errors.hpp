#pragma once
// Errors of spindle's streams (OS errors are boost::system::system_error).
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "io/port.hpp"

namespace spindle {

// read_exactly(n) met end of stream first; partial() holds what was read (asyncio's error).
class IncompleteReadError : public std::runtime_error {
 public:
  IncompleteReadError(std::string partial, std::size_t expected);
  const std::string& partial() const { return partial_; }
  std::size_t expected() const { return expected_; }

 private:
  std::string partial_;
  std::size_t expected_;
};

// read_until/read_line found no delimiter within the limit; the bytes stay buffered.
class LimitOverrunError : public std::runtime_error {
 public:
  LimitOverrunError(std::size_t limit, std::size_t buffered);
  std::size_t buffered() const { return buffered_; }

 private:
  std::size_t buffered_;
};

namespace detail {

// The boost::system::system_error that spindle's I/O calls throw: what() is the message given,
// exactly ("connect 127.0.0.1:1: Connection refused", as Go and asyncio print them), without the
// Asio source location and Boost's " [system:111]" that error codes from Asio add. Catch it as
// boost::system::system_error; code() is the OS or Asio error.
class IoError : public boost::system::system_error {
 public:
  IoError(const boost::system::error_code& ec, const std::string& message);
  const char* what() const noexcept override { return message_.what(); }

 private:
  std::runtime_error message_;  // a shared string: copying the exception cannot throw
};

// Throws IoError for `ec` with `what` in front: "<what>: <the error's message>" ("read: Connection
// reset by peer").
[[noreturn]] void throw_io_error(const boost::system::error_code& ec, std::string_view what);
// The same for an operation on something named: "<op> <target>: <the error's message>" ("bind
// 127.0.0.1:80: Permission denied", "accept /tmp/s.sock: ...", "resolve nosuch.invalid:80: ...").
[[noreturn]] void throw_io_error(const boost::system::error_code& ec, std::string_view op,
                                 std::string_view target);

// "host:port" as Go's net.JoinHostPort writes it: an IPv6 address in brackets ("[::1]:80").
std::string host_port(std::string_view host, std::string_view port);
inline std::string host_port(std::string_view host, Port port) {
  return host_port(host, std::to_string(port.value()));
}
// A Unix socket path as ss(8) shows it: an abstract name ("\0name") as "@name".
std::string unix_path(std::string_view path);
// An endpoint as errors name it: "127.0.0.1:80", "[::1]:80" (TCP, UDP) or its path (Unix).
template <class Endpoint>
std::string endpoint_text(const Endpoint& e) {
  if constexpr (requires { e.address(); }) {
    return host_port(e.address().to_string(), std::to_string(e.port()));
  } else {
    return unix_path(e.path());
  }
}

}  // namespace detail

}  // namespace spindle
