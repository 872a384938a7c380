// SPINDLE_TEST_CASE (spindle/doctest.hpp): runs spindle_test_case_child's cases one at a time and
// checks that an assertion failing in any fiber fails the test with the assertion's own message
// and location, ends it (no hang, nothing after it runs), and is not logged as a never-retrieved
// task exception.
#include <doctest/doctest.h>

#include <cstdlib>
#include <regex>
#include <string>

#include "../support.hpp"

namespace {

spindle_test::ChildResult run_case(const std::string& name) {
  const char* child = std::getenv("SPINDLE_TEST_CASE_CHILD");
  REQUIRE(child);
  return spindle_test::run_child({child, "-tc=" + name, "--no-version=true"}, {"SPINDLE_SEED="});
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_SUITE("spindle_test_case") {
  TEST_CASE("a REQUIRE failing in a spawned fiber fails the test with its message and location, and ends it") {
    const auto r = run_case("require fails in a spawned fiber");
    INFO(r.output);
    CHECK(r.exited_with(1));
    CHECK(std::regex_search(r.output, std::regex(R"(spindle_test_case_child\.cpp:[0-9]+: FATAL ERROR: REQUIRE\( answer == 43 \) is NOT correct!)")));
    CHECK(contains(r.output, "values: REQUIRE( 42 == 43 )"));
    CHECK(contains(r.output, "test cases: 1 | 0 passed | 1 failed"));
    CHECK_FALSE(contains(r.output, "main went on"));
    CHECK_FALSE(contains(r.output, "never retrieved"));
    CHECK_FALSE(contains(r.output, "deadlock"));
  }

  TEST_CASE("a REQUIRE failing in a task_group child fails the test the same way") {
    const auto r = run_case("require fails in a task_group child");
    INFO(r.output);
    CHECK(r.exited_with(1));
    CHECK(std::regex_search(r.output, std::regex(R"(spindle_test_case_child\.cpp:[0-9]+: FATAL ERROR: REQUIRE\( std::string\("left"\) == "right" \) is NOT correct!)")));
    CHECK(contains(r.output, "test cases: 1 | 0 passed | 1 failed"));
    CHECK_FALSE(contains(r.output, "main went on"));
    CHECK_FALSE(contains(r.output, "ExceptionGroup"));
    CHECK_FALSE(contains(r.output, "never retrieved"));
  }

  TEST_CASE("a failed CHECK in a fiber is recorded and the test goes on") {
    const auto r = run_case("check fails in a spawned fiber and the test goes on");
    INFO(r.output);
    CHECK(r.exited_with(1));
    CHECK(std::regex_search(r.output, std::regex(R"(spindle_test_case_child\.cpp:[0-9]+: ERROR: CHECK\( 1 \+ 1 == 3 \) is NOT correct!)")));
    CHECK(contains(r.output, "main went on"));
    CHECK(contains(r.output, "test cases: 1 | 0 passed | 1 failed"));
  }

  TEST_CASE("a passing case runs on the virtual clock") {
    const auto r = run_case("passes on the virtual clock");
    INFO(r.output);
    CHECK(r.exited_with(0));
    CHECK(contains(r.output, "virtual hour passed"));
    CHECK(contains(r.output, "test cases: 1 | 1 passed | 0 failed"));
  }

  TEST_CASE("an exception that is not an assertion fails the test as itself") {
    const auto r = run_case("other exceptions pass through unchanged");
    INFO(r.output);
    CHECK(r.exited_with(1));
    CHECK(contains(r.output, "not an assertion"));
  }
}
