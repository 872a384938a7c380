// doctest's main for hooks_tests: a program linked with libspindle_hooks.so, so the plain libc
// calls in its tests are the hooked ones.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#include <doctest/doctest.h>

#include <string>

#include "scheduler/errors.hpp"

// CancelledError is not a std::exception; name it when one escapes a test.
REGISTER_EXCEPTION_TRANSLATOR(const spindle::CancelledError& e) {
  return doctest::String(("spindle::CancelledError: " + std::string(e.what())).c_str());
}
