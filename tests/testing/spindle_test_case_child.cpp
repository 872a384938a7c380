// The program test_spindle_test_case.cpp runs: SPINDLE_TEST_CASEs whose assertions fail in fibers
// other than the main one. Each case is run alone (-tc=...) and its output checked.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>

#include "spindle.hpp"
#include "spindle/doctest.hpp"

using namespace std::chrono_literals;

SPINDLE_TEST_CASE("require fails in a spawned fiber") {
  int answer = 42;
  auto t = spindle::spawn([&] { REQUIRE(answer == 43); });
  spindle::Event never;
  never.wait();  // the failure cancels this wait: no deadlock, no hang
  std::puts("main went on");
}

SPINDLE_TEST_CASE("require fails in a task_group child") {
  spindle::task_group([](spindle::TaskGroup& g) {
    g.spawn([] {
      spindle::sleep(5s);
      REQUIRE(std::string("left") == "right");
    });
    g.spawn([] { spindle::sleep(1h); });
  });
  std::puts("main went on");
}

SPINDLE_TEST_CASE("check fails in a spawned fiber and the test goes on") {
  auto t = spindle::spawn([] { CHECK(1 + 1 == 3); });
  t.get();
  std::puts("main went on");
}

SPINDLE_TEST_CASE("passes on the virtual clock") {
  const auto t0 = spindle::now();
  auto t = spindle::spawn([] { spindle::sleep(1h); return 7; });
  REQUIRE(t.get() == 7);
  REQUIRE(spindle::now() - t0 == 1h);
  std::puts("virtual hour passed");
}

SPINDLE_TEST_CASE("other exceptions pass through unchanged") {
  auto t = spindle::spawn([] { throw std::runtime_error("not an assertion"); });
  t.get();
}
