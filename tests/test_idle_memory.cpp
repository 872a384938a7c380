// Idle memory comes back: after a burst of fibers, a loop that then only waits (one long sleep, no
// turning) still gives their cold stacks back to the kernel. Trims run on the loop's clock, so the
// virtual clock jumps through them and the test needs no real waiting.
#include <cstddef>
#include <vector>

#include "support.hpp"

using namespace spindle;
using namespace spindle_test;
using namespace std::chrono_literals;

namespace {
#if defined(__SANITIZE_ADDRESS__)
constexpr int kFibers = 20'000;  // ASan's per-fiber bookkeeping makes the full burst slow
#else
constexpr int kFibers = 100'000;
#endif
}  // namespace

TEST_SUITE("idle_memory") {

TEST_CASE("after 100,000 fibers end, a loop parked on one long sleep returns their stacks") {
  std::size_t before = 0, after_burst = 0, after_sleep = 0;
  run_virtual([&] {
    before = resident_bytes();
    std::vector<Task<void>> burst;
    burst.reserve(kFibers);
    for (int i = 0; i < kFibers; ++i) burst.push_back(spawn([] { yield_now(); }));
    for (auto& t : burst) t.get();
    burst = {};
    after_burst = resident_bytes();
    const TimePoint start = now();
    sleep(3600s);  // one wait: the loop only wakes for the trims it needs
    CHECK(now() - start == 3600s);
    after_sleep = resident_bytes();
  });
  MESSAGE("RSS before ", before >> 20, " MiB, after the burst ", after_burst >> 20,
          " MiB, after the sleep ", after_sleep >> 20, " MiB");
  CHECK(after_burst > before + kFibers * std::size_t{4096});  // each fiber touched a stack page
  // At least 3/4 of a page per fiber came back (what stays is the tasks' heap memory, which
  // malloc keeps for reuse).
  CHECK(after_sleep + kFibers * std::size_t{3072} < after_burst);
}

}  // TEST_SUITE
