// spindle's side of the benchmark suite. One workload per invocation:
//   bench_spindle yield [n]         2 fibers x n yield_now() each           -> ns/yield
//   bench_spindle spawn [n] [batch] n trivial fibers, spawn `batch` then join them all -> ns/fiber
//   bench_spindle idle N            N fibers each sleeping 1 s (real clock) -> bytes/fiber, ms
//                                   (a fiber that wakes before all N have started sleeps again)
#include <spindle.hpp>

#include <string>
#include <vector>

#include "bench_common.hpp"

namespace {

using namespace std::chrono_literals;

void bench_yield(long n) {
  const double ns = spindle::run([n] {
    auto body = [n] {
      for (long i = 0; i < n; ++i) spindle::yield_now();
    };
    const auto t0 = bench::Clock::now();
    auto a = spindle::spawn(body);
    auto b = spindle::spawn(body);
    a.join();
    b.join();
    return bench::ns_since(t0);
  });
  bench::report("spindle", "yield", ns / (2.0 * static_cast<double>(n)), "ns/yield");
}

void bench_spawn(long total, long batch) {
  const double ns = spindle::run([total, batch] {
    std::vector<spindle::Task<void>> tasks;
    tasks.reserve(static_cast<std::size_t>(batch));
    long count = 0;
    // Warm-up batch: the stack pool's first slab and the vector are not what is measured.
    for (long i = 0; i < batch; ++i) tasks.push_back(spindle::spawn([&count] { ++count; }));
    for (auto& t : tasks) t.join();
    tasks.clear();
    const auto t0 = bench::Clock::now();
    for (long done = 0; done < total; done += batch) {
      for (long i = 0; i < batch; ++i) tasks.push_back(spindle::spawn([&count] { ++count; }));
      for (auto& t : tasks) t.join();
      tasks.clear();
    }
    const double elapsed = bench::ns_since(t0);
    if (count != total + batch) std::abort();
    return elapsed;
  });
  bench::report("spindle", "spawn_join", ns / static_cast<double>(total), "ns/fiber");
}

void bench_idle(long n) {
  spindle::run([n] {
    const long long base = bench::vm_hwm_bytes();
    long started = 0;
    long finished = 0;
    bench::Clock::time_point all_started{};
    const auto t0 = bench::Clock::now();
    for (long i = 0; i < n; ++i) {
      // The handle is dropped at once: the fiber keeps itself alive; main counts completions.
      spindle::spawn([&, n] {
        if (++started == n) all_started = bench::Clock::now();
        // 1 s; again while others have yet to start, so all N are parked at the same time.
        do spindle::sleep(1s);
        while (started < n);
        ++finished;
      });
    }
    while (finished < n) spindle::sleep(20ms);
    const long long peak = bench::vm_hwm_bytes();
    const std::string suffix = std::to_string(n);
    bench::report("spindle", "idle_rss_" + suffix,
                  n ? static_cast<double>(peak - base) / static_cast<double>(n) : 0.0,
                  "bytes/fiber");
    bench::report("spindle", "idle_started_" + suffix,
                  n ? std::chrono::duration<double, std::milli>(all_started - t0).count() : 0.0,
                  "ms");
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return bench::usage(argv[0]);
  const std::string w = argv[1];
  if (w == "yield") bench_yield(bench::arg_or(argc, argv, 2, 1'000'000));
  else if (w == "spawn")
    bench_spawn(bench::arg_or(argc, argv, 2, 1'000'000), bench::arg_or(argc, argv, 3, 1000));
  else if (w == "idle" && argc > 2) bench_idle(bench::arg_or(argc, argv, 2, 0));
  else return bench::usage(argv[0]);
  return 0;
}
