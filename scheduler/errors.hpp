#pragma once
#include <stdexcept>
#include <string>

namespace spindle {

// Thrown from a parking call in a cancelled scope. Deliberately NOT derived from std::exception,
// so `catch (const std::exception&)` in user code never swallows a cancellation.
class CancelledError {
 public:
  CancelledError() = default;
  explicit CancelledError(std::string message) : message_(std::move(message)) {}
  const std::string& message() const noexcept { return message_; }
  const char* what() const noexcept { return message_.empty() ? "cancelled" : message_.c_str(); }

 private:
  std::string message_;
};

class TimeoutError : public std::runtime_error {
 public:
  TimeoutError() : std::runtime_error("timeout") {}
  using std::runtime_error::runtime_error;
};

// Asking a task or future for something its state does not allow (e.g. result() before done).
class InvalidStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// run() found the main fiber parked with nothing left that could ever wake it. what() lists every
// parked fiber and what it waited on.
class DeadlockError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace spindle
