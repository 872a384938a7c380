// doctest's main for testing_tests: spindle/testing.hpp, spindle/doctest.hpp and Schedule.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#include <doctest/doctest.h>

#include <string>

#include "scheduler/errors.hpp"

REGISTER_EXCEPTION_TRANSLATOR(const spindle::CancelledError& e) {
  return doctest::String(("spindle::CancelledError: " + std::string(e.what())).c_str());
}
