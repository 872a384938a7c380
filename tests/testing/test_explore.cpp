// testing::explore: a test body under many seeded schedules. It finds the planted check-then-act
// bug (bank.hpp) that FIFO never shows, reports the seed, and that seed replays the failure (also
// through SPINDLE_SEED); the fixed bank passes every seed.
#include <doctest/doctest.h>

#include <regex>
#include <stdexcept>
#include <string>

#include "../support.hpp"
#include "bank.hpp"
#include "spindle.hpp"
#include "spindle/testing.hpp"

namespace testing = spindle::testing;
using spindle_test::EnvVar;

namespace {

// The ExceptionGroup's one failure, as text ("overdrawn: alice has -20").
std::string failure_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const spindle::ExceptionGroup& g) {
    REQUIRE(g.exceptions().size() == 1);
    try {
      std::rethrow_exception(g.exceptions()[0]);
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  return "";
}

}  // namespace

TEST_SUITE("explore") {
  TEST_CASE("FIFO never shows the planted bug") {
    EnvVar unset("SPINDLE_SEED", nullptr);
    for (int i = 0; i < 3; ++i) CHECK_NOTHROW(testing::run_virtual([] { testing_test::two_transfers(false); }));
    CHECK_NOTHROW(spindle::run(spindle::RunOptions{.schedule = spindle::Schedule::fifo()},
                               [] { testing_test::two_transfers(false); }));
  }

  TEST_CASE("explore finds it within 1,000 runs, prints the seed, and the seed replays it") {
    EnvVar unset("SPINDLE_SEED", nullptr);
    int runs = 0;
    const std::string failure = failure_of([&] {
      testing::explore([&] {
        ++runs;
        testing_test::two_transfers(false);
      }, {.runs = 1000});
    });
    CHECK(failure == "overdrawn: alice has -20");
    CHECK(runs >= 1);
    CHECK(runs <= 1000);

    // In a child, to read what it prints: the failing run's number and seed.
    const auto child = spindle_test::in_forked_child([] {
      try {
        testing::explore([] { testing_test::two_transfers(false); }, {.runs = 1000});
      } catch (const spindle::ExceptionGroup&) {
      }
    });
    std::smatch m;
    const std::regex line("spindle::testing::explore: run ([0-9]+) of 1000 failed: SPINDLE_SEED=([0-9]+)\n");
    REQUIRE(std::regex_search(child.output, m, line));
    CHECK(std::stoi(m[1]) == runs);
    const std::string seed = m[2];
    CHECK(std::stoull(seed) == std::stoull(m[1]));  // first_seed 1: run k has seed k
    CHECK(child.output.find("SPINDLE_SEED=" + seed + " replays its schedule") != std::string::npos);

    // The seed replays the failure: through Schedule::random, and through SPINDLE_SEED.
    const auto replay = spindle::RunOptions{.clock = spindle::ClockKind::virtual_time,
                                            .schedule = spindle::Schedule::random(std::stoull(seed))};
    CHECK(failure_of([&] { spindle::run(replay, [] { testing_test::two_transfers(false); }); }) ==
          "overdrawn: alice has -20");
    EnvVar replay_seed("SPINDLE_SEED", seed.c_str());
    int replays = 0;
    CHECK(failure_of([&] {
      testing::explore([&] {
        ++replays;
        testing_test::two_transfers(false);
      }, {.runs = 1000});
    }) == "overdrawn: alice has -20");
    CHECK(replays == 1);
  }

  TEST_CASE("the fixed bank passes every one of 1,000 schedules") {
    EnvVar unset("SPINDLE_SEED", nullptr);
    int runs = 0;
    testing::explore([&] {
      ++runs;
      testing_test::two_transfers(true);
    }, {.runs = 1000});
    CHECK(runs == 1000);
  }

  TEST_CASE("runs on the virtual clock, one fresh loop per run; bad options are refused") {
    EnvVar unset("SPINDLE_SEED", nullptr);
    std::vector<std::uint64_t> seeds;
    testing::explore([&] {
      const auto t0 = spindle::now();
      spindle::sleep(std::chrono::hours(1));
      CHECK(spindle::now() - t0 == std::chrono::hours(1));
      seeds.push_back(*spindle::this_loop().schedule_seed());
    }, {.runs = 3, .first_seed = 10});
    CHECK(seeds == std::vector<std::uint64_t>{10, 11, 12});
    CHECK_THROWS_WITH_AS(testing::explore([] {}, {.runs = 0}),
                         "spindle::testing::explore: ExploreOptions::runs must be at least 1, not 0",
                         std::invalid_argument);
    spindle::run([] {
      CHECK_THROWS_WITH_AS(testing::explore([] {}, {.runs = 1}), "spindle::run called inside a running loop",
                           std::logic_error);
    });
  }
}
