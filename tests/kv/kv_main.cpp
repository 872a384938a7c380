// doctest's main for kv_tests (samples/servers/kv_server: parser, commands, expiry, fuzzing, and
// the real server driven by redis-cli). POSIX signal handling stays off: spindle installs its own
// SIGSEGV handler.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#include <doctest/doctest.h>

#include <string>

#include "scheduler/errors.hpp"

// CancelledError is not a std::exception; name it when one escapes a test.
REGISTER_EXCEPTION_TRANSLATOR(const spindle::CancelledError& e) {
  return doctest::String(("spindle::CancelledError: " + std::string(e.what())).c_str());
}
