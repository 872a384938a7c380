#pragma once
// Helpers for the sync/ suites, on top of tests/support.hpp (run_virtual, Recorder, Stopwatch,
// LogCapture).
#include <stdexcept>
#include <string>

#include "../support.hpp"

namespace sync_test {

// Checks that `expr` throws E whose what() contains every one of `parts`.
#define CHECK_THROWS_WITH_PARTS(expr, E, ...)                                  \
  do {                                                                         \
    bool threw_ = false;                                                       \
    try {                                                                      \
      expr;                                                                    \
    } catch (const E& e_) {                                                    \
      threw_ = true;                                                           \
      const std::string what_ = e_.what();                                     \
      for (const char* part_ : {__VA_ARGS__}) {                                \
        INFO("message: " << what_);                                            \
        CHECK(what_.find(part_) != std::string::npos);                         \
      }                                                                        \
    }                                                                          \
    CHECK_MESSAGE(threw_, #expr " did not throw " #E);                         \
  } while (0)

}  // namespace sync_test
