// testing::explore's loop over seeds (spindle/testing.hpp).
#include <cstdio>
#include <stdexcept>
#include <string>

#include "scheduler/explore.hpp"

namespace spindle::testing::detail {

void explore_seeds(const ExploreOptions& options, const std::function<void(std::uint64_t)>& run_one) {
  if (options.runs < 1) {
    throw std::invalid_argument("spindle::testing::explore: ExploreOptions::runs must be at least 1, not " +
                                std::to_string(options.runs));
  }
  // The default Schedule reads SPINDLE_SEED: set, it names the one schedule to replay.
  const std::optional<std::uint64_t> replay = Schedule().seed();
  const int runs = replay ? 1 : options.runs;
  for (int i = 0; i < runs; ++i) {
    const std::uint64_t seed = replay ? *replay : options.first_seed + static_cast<std::uint64_t>(i);
    try {
      run_one(seed);
    } catch (...) {  // only to name the seed: rethrown as it is
      std::fprintf(stderr, "spindle::testing::explore: run %d of %d failed: SPINDLE_SEED=%llu\n", i + 1,
                   runs, static_cast<unsigned long long>(seed));
      throw;
    }
  }
}

}  // namespace spindle::testing::detail
