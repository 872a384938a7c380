#pragma once
// testing::explore (spindle/testing.hpp): a test body under many seeded random schedules.
#include <cstdint>
#include <functional>

#include "scheduler/loop.hpp"
#include "scheduler/schedule.hpp"

namespace spindle::testing {

struct ExploreOptions {
  int runs = 100;               // how many schedules to try (≥ 1)
  std::uint64_t first_seed = 1;  // the seeds are first_seed, first_seed + 1, ...
};

namespace detail {
void explore_seeds(const ExploreOptions& options, const std::function<void(std::uint64_t)>& run_one);
}

// Runs f() as the main fiber of run(RunOptions{.clock = virtual_time, .schedule =
// Schedule::random(seed)}) once per seed, from outside any loop. Returns when every run passed;
// at the first failure prints "SPINDLE_SEED=<seed>" (with the run's number) on stderr and rethrows
// that run's exception. With SPINDLE_SEED=n in the environment it runs only seed n, once: the
// replay of a reported failure. The seeds are fixed (first_seed on), so a test suite is
// reproducible; a different first_seed explores other schedules. runs < 1 →
// std::invalid_argument.
template <class F>
void explore(F&& f, ExploreOptions options = {}) {
  detail::explore_seeds(options, [&f](std::uint64_t seed) {
    spindle::run(RunOptions{.clock = ClockKind::virtual_time, .schedule = Schedule::random(seed)},
                 [&f] { std::invoke(f); });
  });
}

}  // namespace spindle::testing
