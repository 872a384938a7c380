#pragma once
// Errors of spindle's streams (OS errors are boost::system::system_error).
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <stdexcept>
#include <string>

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
// Throws boost::system::system_error for `ec` with `what` in front ("read: Connection reset by
// peer"), without the Asio source location that error codes from Asio carry (users read what()).
[[noreturn]] void throw_io_error(const boost::system::error_code& ec, const char* what);
}  // namespace detail

}  // namespace spindle
