// Boost.Fiber peer (round-robin scheduler, one thread). One workload per invocation:
//   bench_boost_fiber yield [n]          2 fibers x n this_fiber::yield() -> ns/yield
//   bench_boost_fiber spawn [n] [batch]  pooled_fixedsize_stack, spawn `batch` then join -> ns/fiber
//   bench_boost_fiber idle N [protected|fixed]
//       N detached fibers each sleeping 1 s. `protected` (default) uses protected_fixedsize_stack
//       (one mmap + one mprotect guard per stack: two mappings per fiber, so vm.max_map_count runs
//       out near 32k fibers; release Boost ignores the failed mprotect and the stack silently has
//       no guard). Reports how many stacks ended up unguarded. `fixed` = fixedsize_stack, no guard.
//   bench_boost_fiber pingpong [n]  an int bounced between two fibers through two
//                                   buffered_channel<int>(2) (capacity 2 holds one item) -> ns/roundtrip
//   bench_boost_fiber lock [n]      n uncontended fibers::mutex lock()+unlock() -> ns/op
//   bench_boost_fiber pipeline [n]  1 producer, 4 consumers, buffered_channel<int>(128) -> items/s
#include <boost/fiber/all.hpp>
#include <sys/mman.h>
#include <unistd.h>

#include <new>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace {

using namespace std::chrono_literals;
namespace bf = boost::fibers;

void bench_yield(long n) {
  auto body = [n] {
    for (long i = 0; i < n; ++i) boost::this_fiber::yield();
  };
  const auto t0 = bench::Clock::now();
  bf::fiber a(body), b(body);
  a.join();
  b.join();
  const double ns = bench::ns_since(t0);
  bench::report("boost_fiber", "yield", ns / (2.0 * static_cast<double>(n)), "ns/yield");
}

void bench_spawn(long total, long batch) {
  bf::pooled_fixedsize_stack salloc(bench::kStackSize);
  std::vector<bf::fiber> fibers;
  fibers.reserve(static_cast<std::size_t>(batch));
  long count = 0;
  auto one_batch = [&] {
    for (long i = 0; i < batch; ++i)
      fibers.emplace_back(std::allocator_arg, salloc, [&count] { ++count; });
    for (auto& f : fibers) f.join();
    fibers.clear();
  };
  one_batch();  // warm-up: fills the stack pool
  const auto t0 = bench::Clock::now();
  for (long done = 0; done < total; done += batch) one_batch();
  const double ns = bench::ns_since(t0);
  if (count != total + batch) std::abort();
  bench::report("boost_fiber", "spawn_join", ns / static_cast<double>(total), "ns/fiber");
}

// protected_fixedsize_stack, plus a check whether its guard page really is there: mprotect on a
// page that is already PROT_NONE succeeds without splitting the mapping; if Boost's own mprotect
// failed (vm.max_map_count reached), ours fails the same way.
struct CheckedProtectedStack {
  bf::protected_fixedsize_stack inner{bench::kStackSize};
  long* unguarded;
  boost::context::stack_context allocate() {
    boost::context::stack_context sc = inner.allocate();
    void* guard = static_cast<char*>(sc.sp) - sc.size;
    if (mprotect(guard, static_cast<std::size_t>(sysconf(_SC_PAGESIZE)), PROT_NONE) != 0)
      ++*unguarded;
    return sc;
  }
  void deallocate(boost::context::stack_context& sc) noexcept { inner.deallocate(sc); }
};

template <class Salloc>
void run_idle(long n, Salloc salloc, const long* unguarded) {
  const long long base = bench::vm_hwm_bytes();
  long started = 0;
  long finished = 0;
  long spawned = 0;
  long goal = n;  // lowered to `spawned` if spawning fails, so the sleepers can finish
  bench::Clock::time_point all_started{};
  const auto t0 = bench::Clock::now();
  try {
    for (; spawned < n; ++spawned) {
      bf::fiber(std::allocator_arg, salloc, [&] {
        if (++started == n) all_started = bench::Clock::now();
        // 1 s; again while others have yet to start, so all N are parked at the same time.
        do boost::this_fiber::sleep_for(1s);
        while (started < goal);
        ++finished;
      }).detach();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "boost_fiber idle: spawning fiber %ld failed: %s\n", spawned, e.what());
    goal = spawned;
  }
  while (finished < spawned) boost::this_fiber::sleep_for(20ms);
  const long long peak = bench::vm_hwm_bytes();
  const std::string suffix = std::to_string(n);
  if (spawned < n) {
    bench::report("boost_fiber", "idle_failed_at_" + suffix, static_cast<double>(spawned),
                  "fibers");
    return;
  }
  bench::report("boost_fiber", "idle_rss_" + suffix,
                n ? static_cast<double>(peak - base) / static_cast<double>(n) : 0.0, "bytes/fiber");
  bench::report("boost_fiber", "idle_started_" + suffix,
                n ? std::chrono::duration<double, std::milli>(all_started - t0).count() : 0.0,
                "ms");
  if (unguarded)
    bench::report("boost_fiber", "idle_unguarded_" + suffix, static_cast<double>(*unguarded),
                  "stacks");
}

void bench_idle(long n, const std::string& kind) {
  if (kind == "fixed") {
    run_idle(n, bf::fixedsize_stack(bench::kStackSize), nullptr);
  } else {
    long unguarded = 0;
    run_idle(n, CheckedProtectedStack{{bench::kStackSize}, &unguarded}, &unguarded);
  }
}

void bench_pingpong(long n) {
  bf::buffered_channel<int> ping(2), pong(2);
  const auto t0 = bench::Clock::now();
  bf::fiber echo([&] {
    for (long i = 0; i < n; ++i) pong.push(ping.value_pop());
  });
  long sum = 0;
  for (long i = 0; i < n; ++i) {
    ping.push(static_cast<int>(i));
    sum += pong.value_pop();
  }
  echo.join();
  const double ns = bench::ns_since(t0);
  if (sum != (n - 1) * n / 2 && n < 65536) std::abort();
  bench::report("boost_fiber", "pingpong", ns / static_cast<double>(n), "ns/roundtrip");
}

void bench_lock(long n) {
  bf::mutex m;
  volatile long counter = 0;
  const auto t0 = bench::Clock::now();
  for (long i = 0; i < n; ++i) {
    m.lock();
    counter = counter + 1;
    m.unlock();
  }
  const double ns = bench::ns_since(t0);
  if (counter != n) std::abort();
  bench::report("boost_fiber", "lock", ns / static_cast<double>(n), "ns/op");
}

void bench_pipeline(long n) {
  bf::buffered_channel<int> ch(128);
  long received = 0;
  const auto t0 = bench::Clock::now();
  std::vector<bf::fiber> consumers;
  for (int c = 0; c < 4; ++c) {
    consumers.emplace_back([&] {
      int v;
      while (ch.pop(v) == bf::channel_op_status::success) ++received;
    });
  }
  for (long i = 0; i < n; ++i) ch.push(static_cast<int>(i));
  ch.close();
  for (auto& f : consumers) f.join();
  const double ns = bench::ns_since(t0);
  if (received != n) std::abort();
  bench::report("boost_fiber", "pipeline", static_cast<double>(n) / (ns * 1e-9), "items/s");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return bench::usage(argv[0]);
  const std::string w = argv[1];
  if (w == "yield") bench_yield(bench::arg_or(argc, argv, 2, 1'000'000));
  else if (w == "spawn")
    bench_spawn(bench::arg_or(argc, argv, 2, 1'000'000), bench::arg_or(argc, argv, 3, 1000));
  else if (w == "idle" && argc > 2)
    bench_idle(bench::arg_or(argc, argv, 2, 0), argc > 3 ? argv[3] : "protected");
  else if (w == "pingpong") bench_pingpong(bench::arg_or(argc, argv, 2, 1'000'000));
  else if (w == "lock") bench_lock(bench::arg_or(argc, argv, 2, 10'000'000));
  else if (w == "pipeline") bench_pipeline(bench::arg_or(argc, argv, 2, 1'000'000));
  else return bench::usage(argv[0]);
  return 0;
}
