#pragma once
// SPINDLE_TEST_CASE("name") { ... }: a doctest test case whose body runs as the main fiber of
// testing::run_virtual (Seastar's SEASTAR_TEST_CASE). Include after <doctest/doctest.h>.
//
// A REQUIRE that fails in any fiber of the test (not only the main one) fails the test with the
// assertion's own message and location (doctest reports it where it fails) and ends the test:
// the main fiber is cancelled, so the test does not go on or hang waiting for the fiber that
// failed. A failed CHECK only records the failure, as in any doctest case. Decorators work as for
// TEST_CASE: SPINDLE_TEST_CASE("name" * doctest::timeout(5)).
#include <doctest/doctest.h>

#include <exception>
#include <string>

#include "scheduler/instrument.hpp"
#include "scheduler/lowlevel.hpp"
#include "spindle/testing.hpp"

namespace spindle::testing::detail {

// Watches the test's fibers end: one that ended by a doctest REQUIRE failure cancels the main fiber.
class AssertionWatch final : public Instrument {
 public:
  bool failed() const { return failed_; }
  void watch_main(TaskRef main) { main_ = std::move(main); }

  void on_exit(const TaskRef& task) noexcept override {
    lowlevel::Task& t = *task.get_base();
    if (!t.failed() || !is_assertion_failure(t.peek_exception())) return;
    failed_ = true;
    t.mark_reported();  // doctest reported it already: no "exception was never retrieved"
    if (main_.valid() && !(main_ == task)) {
      main_.cancel("a doctest assertion failed in fiber '" + task.name() + "'");
    }
  }

 private:
  static bool is_assertion_failure(const std::exception_ptr& e) noexcept {
    try {
      std::rethrow_exception(e);
    } catch (const doctest::detail::TestFailureException&) {
      return true;
    } catch (...) {  // only inspects a stored exception, on the loop thread
      return false;
    }
  }

  TaskRef main_;
  bool failed_ = false;
};

inline void run_test_case(void (*body)()) {
  AssertionWatch watch;
  try {
    spindle::run(RunOptions{.clock = ClockKind::virtual_time, .instrument = &watch}, [&] {
      watch.watch_main(current_task());
      body();
    });
  } catch (...) {
    // What ended the run (the cancellation, a group holding the failure) is a consequence.
    if (watch.failed()) throw doctest::detail::TestFailureException();
    throw;
  }
  if (watch.failed()) throw doctest::detail::TestFailureException();
}

}  // namespace spindle::testing::detail

#define SPINDLE_TEST_CASE_IMPL(body, name)                                       \
  static void body();                                                            \
  TEST_CASE(name) { ::spindle::testing::detail::run_test_case(&body); }         \
  static void body()

#define SPINDLE_TEST_CASE(name) SPINDLE_TEST_CASE_IMPL(DOCTEST_ANONYMOUS(SPINDLE_TEST_BODY_), name)
