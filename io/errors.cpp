#include "io/errors.hpp"

#include <boost/system/system_error.hpp>

namespace spindle {

namespace {
std::string incomplete_message(std::size_t got, std::size_t expected) {
  std::string m = std::to_string(got);
  m += " bytes read on a total of ";
  m += std::to_string(expected);
  m += " expected bytes";
  return m;
}
std::string overrun_message(std::size_t limit) {
  std::string m = "no delimiter found within the read limit of ";
  m += std::to_string(limit);
  m += " bytes";
  return m;
}
}  // namespace

IncompleteReadError::IncompleteReadError(std::string partial, std::size_t expected)
    : std::runtime_error(incomplete_message(partial.size(), expected)),
      partial_(std::move(partial)),
      expected_(expected) {}

LimitOverrunError::LimitOverrunError(std::size_t limit, std::size_t buffered)
    : std::runtime_error(overrun_message(limit)), buffered_(buffered) {}

detail::IoError::IoError(const boost::system::error_code& ec, const std::string& message)
    : boost::system::system_error(boost::system::error_code(ec.value(), ec.category())),
      message_(message) {}

void detail::throw_io_error(const boost::system::error_code& ec, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += ec.message();
  throw IoError(ec, message);
}

void detail::throw_io_error(const boost::system::error_code& ec, std::string_view op,
                            std::string_view target) {
  std::string what(op);
  what += ' ';
  what += target;
  throw_io_error(ec, what);
}

std::string detail::host_port(std::string_view host, std::string_view port) {
  const bool ipv6 = host.find(':') != std::string_view::npos;
  std::string out;
  out.reserve(host.size() + port.size() + 3);
  if (ipv6) out += '[';
  out += host;
  if (ipv6) out += ']';
  out += ':';
  out += port;
  return out;
}

std::string detail::unix_path(std::string_view path) {
  std::string out(path);
  if (!out.empty() && out.front() == '\0') out.front() = '@';
  return out;
}

}  // namespace spindle
