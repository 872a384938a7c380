// doctest's main for io_tests (io/: use_fiber, streams, servers, processes, signals, files,
// threads). POSIX signal handling stays off: spindle installs its own SIGSEGV handler, and the
// signal tests install theirs. Cases in TEST_SUITE("threads") also run under ThreadSanitizer.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#include <doctest/doctest.h>

#include <string>

#include "scheduler/errors.hpp"

// CancelledError is not a std::exception; name it when one escapes a test.
REGISTER_EXCEPTION_TRANSLATOR(const spindle::CancelledError& e) {
  return doctest::String(("spindle::CancelledError: " + std::string(e.what())).c_str());
}
