// Threads that each call run() and end: their fiber stacks must be reused, not kept. Every slab a
// pool maps stays mapped (the overflow handler's registry points into it) and the registry holds
// 65,536 slabs, so without reuse memory grew with every thread and the 65,537th slab aborted.
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "fibers/detail/slab_registry.hpp"
#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {

// Each thread's pools map one slab per stack size, so eight sizes reach the registry's 65,536
// slabs eight times sooner than one (the test stays a few seconds long).
constexpr std::size_t kStackSizes[] = {0,        16 << 10, 32 << 10, 48 << 10,
                                       64 << 10, 80 << 10, 96 << 10, 192 << 10};
constexpr std::size_t kSizes = std::size(kStackSizes);
#if defined(__SANITIZE_ADDRESS__)
// ASan's own per-thread setup costs ~1 ms: check reuse on fewer threads there.
constexpr int kThreads = 2'000;
#else
constexpr int kThreads = 65'536 / kSizes + 200;  // past the 65,536 slabs that used to abort
#endif
constexpr int kFibersPerSize = 4;  // so that each thread touches 32 stacks' worth of pages

// One short-lived thread's work: fibers of every stack size, all alive at once.
void run_fibers_and_end() {
  std::thread([] {
    run([] {
      std::vector<Task<void>> tasks;
      for (std::size_t size : kStackSizes) {
        for (int i = 0; i < kFibersPerSize; ++i) {
          tasks.push_back(spawn(SpawnOptions{.name = {}, .stack_size = size}, [] { yield_now(); }));
        }
      }
      for (auto& t : tasks) t.get();
    });
  }).join();
}

void run_eight_at_a_time() {
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back(run_fibers_and_end);
  for (auto& t : threads) t.join();
}

}  // namespace

TEST_SUITE("short_lived_threads") {

TEST_CASE("run() on many threads, one after another and 8 at a time, keeps RSS flat") {
  const std::uint32_t slabs_before = fibers::detail::slab_count();
  for (int i = 0; i < 16; ++i) run_eight_at_a_time();  // warm-up: the spare slabs exist now
  const std::size_t warm = resident_bytes();
  int threads = 0;
  for (; threads < kThreads / 2; ++threads) run_fibers_and_end();
  const std::size_t after_sequential = resident_bytes();
  for (; threads < kThreads; threads += 8) run_eight_at_a_time();
  const std::size_t after_parallel = resident_bytes();
  MESSAGE("RSS warm ", warm >> 10, " KiB, after ", threads, " threads ", after_parallel >> 10,
          " KiB; ", fibers::detail::slab_count() - slabs_before, " slabs mapped");
  // At most one slab per stack size for each of the 8 threads alive at once (without reuse: one
  // per size for every thread).
  CHECK(fibers::detail::slab_count() - slabs_before <= 8 * kSizes);
#if !defined(__SANITIZE_ADDRESS__)
  // Without reuse each thread kept 32 stacks' touched pages (over 100 KiB). Not under ASan: its
  // quarantine (freed heap held up to 256 MiB) and per-thread records grow the RSS by themselves.
  CHECK(after_sequential < warm + (8u << 20));
  CHECK(after_parallel < warm + (8u << 20));
#endif
}

}  // TEST_SUITE
