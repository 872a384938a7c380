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

void detail::throw_io_error(const boost::system::error_code& ec, const char* what) {
  throw boost::system::system_error(boost::system::error_code(ec.value(), ec.category()), what);
}

}  // namespace spindle
