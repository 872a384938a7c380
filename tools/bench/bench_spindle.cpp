// spindle's side of the benchmark suite. One workload per invocation:
//   bench_spindle yield [n]         2 fibers x n yield_now() each           -> ns/yield
//   bench_spindle spawn [n] [batch] n trivial fibers, spawn `batch` then join them all -> ns/fiber
//   bench_spindle idle N            N fibers each sleeping 1 s (real clock) -> bytes/fiber, ms
//                                   (a fiber that wakes before all N have started sleeps again)
//   bench_spindle timeout [n]       n x timeout(1 h, body) whose body returns at once: the deadline
//                                   armed and disarmed, never fired           -> ns/op
//   bench_spindle gather [n] [batch] n trivial callables, gather() of `batch` at a time, and the
//                                   same n as spawn `batch` + join them all   -> ns/child, ns/fiber
//   bench_spindle pingpong [n]      an int bounced n times between two fibers through two
//                                   Queue<int>(1)                           -> ns/roundtrip
//   bench_spindle lock [n]          n uncontended Lock lock()+unlock()       -> ns/op
//   bench_spindle pipeline [n]      1 producer, 4 consumers, Queue<int>(128), n items -> items/s
//   bench_spindle to_thread [n]     n x to_thread(empty function), one after another: the round
//                                   trip to a pool thread and back            -> ns/call
//   bench_spindle file_read [n]     n x 4 KiB reads at rotating offsets of a page-cached 1 MiB
//                                   file: pread(2) on the loop thread (the floor), File::read_at
//                                   through io_uring, File::read_at through the worker pool
//                                   (SPINDLE_IO_URING=off)                    -> ns/read each
#include <spindle.hpp>
#include <stdlib.h>
#include <unistd.h>

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

// Ping-pong: main puts i into `ping`, the echo fiber gets it and puts it into `pong`, main gets
// it back. Each put hands the item straight to the parked getter.
void bench_pingpong(long n) {
  const double ns = spindle::run([n] {
    spindle::Queue<int> ping(1), pong(1);
    const auto t0 = bench::Clock::now();
    auto echo = spindle::spawn([&] {
      for (long i = 0; i < n; ++i) pong.put(ping.get());
    });
    long sum = 0;
    for (long i = 0; i < n; ++i) {
      ping.put(static_cast<int>(i));
      sum += pong.get();
    }
    echo.join();
    const double elapsed = bench::ns_since(t0);
    if (sum != (n - 1) * n / 2 && n < 65536) std::abort();
    return elapsed;
  });
  bench::report("spindle", "pingpong", ns / static_cast<double>(n), "ns/roundtrip");
}

void bench_to_thread(long n) {
  const double ns = spindle::run([n] {
    spindle::to_thread([] {});  // the worker thread exists before the clock starts
    const auto t0 = bench::Clock::now();
    for (long i = 0; i < n; ++i) spindle::to_thread([] {});
    return bench::ns_since(t0);
  });
  bench::report("spindle", "to_thread", ns / static_cast<double>(n), "ns/call");
}

void bench_file_read(long n) {
  char path[] = "/tmp/spindle-bench-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) std::abort();
  constexpr std::size_t kFile = 1 << 20, kBlock = 4096;
  const std::string bytes(kFile, 'x');
  if (::pwrite(fd, bytes.data(), kFile, 0) != static_cast<ssize_t>(kFile)) std::abort();
  std::string block(kBlock, '\0');
  auto offset = [](long i) { return static_cast<std::uint64_t>(i) * kBlock % kFile; };
  auto per_read = [n](auto read_one) {
    const auto t0 = bench::Clock::now();
    for (long i = 0; i < n; ++i) read_one(i);
    return bench::ns_since(t0) / static_cast<double>(n);
  };
  spindle::run([&] {
    bench::report("pread", "file_read", per_read([&](long i) {
      if (::pread(fd, block.data(), kBlock, static_cast<off_t>(offset(i))) != kBlock) std::abort();
    }), "ns/read");
    for (const bool ring : {true, false}) {
      if (!ring) ::setenv("SPINDLE_IO_URING", "off", 1);
      auto f = spindle::File::open(path);
      if (f.uses_io_uring() != ring) {
        std::fprintf(stderr, "file_read: io_uring is not available in this build or kernel\n");
        continue;
      }
      f.read_at(0, boost::asio::buffer(block));  // warm: the ring or the pool thread exists
      bench::report(ring ? "spindle_io_uring" : "spindle_pool", "file_read", per_read([&](long i) {
        if (f.read_at(offset(i), boost::asio::buffer(block)) != kBlock) std::abort();
      }), "ns/read");
    }
  });
  ::close(fd);
  ::unlink(path);
}

void bench_lock(long n) {
  const double ns = spindle::run([n] {
    spindle::Lock lock;
    volatile long counter = 0;
    const auto t0 = bench::Clock::now();
    for (long i = 0; i < n; ++i) {
      lock.lock();
      counter = counter + 1;
      lock.unlock();
    }
    const double elapsed = bench::ns_since(t0);
    if (counter != n) std::abort();
    return elapsed;
  });
  bench::report("spindle", "lock", ns / static_cast<double>(n), "ns/op");
}

void bench_pipeline(long n) {
  constexpr int kConsumers = 4;
  const double ns = spindle::run([n] {
    spindle::Queue<int> q(128);
    long received = 0;
    const auto t0 = bench::Clock::now();
    std::vector<spindle::Task<void>> consumers;
    for (int c = 0; c < kConsumers; ++c) {
      consumers.push_back(spindle::spawn([&] {
        try {
          for (;;) {
            q.get();
            ++received;
          }
        } catch (const spindle::QueueShutDown&) {
        }
      }));
    }
    for (long i = 0; i < n; ++i) q.put(static_cast<int>(i));
    q.shutdown();  // the consumers drain what is left, then stop
    for (auto& t : consumers) t.join();
    const double elapsed = bench::ns_since(t0);
    if (received != n) std::abort();
    return elapsed;
  });
  bench::report("spindle", "pipeline", static_cast<double>(n) / (ns * 1e-9), "items/s");
}

void bench_timeout(long n) {
  const double ns = spindle::run([n] {
    long sum = 0;
    // Warm-up: the timer heap's storage is not what is measured.
    for (long i = 0; i < 1000; ++i) sum += spindle::timeout(1h, [i] { return i & 1; });
    const auto t0 = bench::Clock::now();
    for (long i = 0; i < n; ++i) sum += spindle::timeout(1h, [i] { return i & 1; });
    const double elapsed = bench::ns_since(t0);
    if (sum != 500 + n / 2 || spindle::this_loop().timer_count() != 0) std::abort();
    return elapsed;
  });
  bench::report("spindle", "timeout", ns / static_cast<double>(n), "ns/op");
}

// gather(range of callables) against spawn + join of the same children, in one process so the
// two figures share the machine's state; alternating batches, so drift hits both alike.
void bench_gather(long total, long batch) {
  spindle::run([total, batch] {
    long count = 0;
    auto child = [&count] { ++count; };
    const std::vector<decltype(child)> children(static_cast<std::size_t>(batch), child);
    std::vector<spindle::Task<void>> tasks;
    tasks.reserve(static_cast<std::size_t>(batch));
    auto spawn_join = [&] {
      for (long i = 0; i < batch; ++i) tasks.push_back(spindle::spawn(child));
      for (auto& t : tasks) t.join();
      tasks.clear();
    };
    spindle::gather(children);  // warm-up
    spawn_join();
    double gather_ns = 0, spawn_ns = 0;
    for (long done = 0; done < total; done += batch) {
      auto t0 = bench::Clock::now();
      spindle::gather(children);
      gather_ns += bench::ns_since(t0);
      t0 = bench::Clock::now();
      spawn_join();
      spawn_ns += bench::ns_since(t0);
    }
    const long rounds = (total + batch - 1) / batch;
    if (count != 2 * batch * (rounds + 1)) std::abort();
    const double n = static_cast<double>(rounds * batch);
    bench::report("spindle", "gather", gather_ns / n, "ns/child");
    bench::report("spindle_spawn_join", "gather", spawn_ns / n, "ns/fiber");  // the floor
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
  else if (w == "timeout") bench_timeout(bench::arg_or(argc, argv, 2, 1'000'000));
  else if (w == "gather")
    bench_gather(bench::arg_or(argc, argv, 2, 1'000'000), bench::arg_or(argc, argv, 3, 1000));
  else if (w == "pingpong") bench_pingpong(bench::arg_or(argc, argv, 2, 1'000'000));
  else if (w == "lock") bench_lock(bench::arg_or(argc, argv, 2, 10'000'000));
  else if (w == "pipeline") bench_pipeline(bench::arg_or(argc, argv, 2, 1'000'000));
  else if (w == "to_thread") bench_to_thread(bench::arg_or(argc, argv, 2, 20'000));
  else if (w == "file_read") bench_file_read(bench::arg_or(argc, argv, 2, 100'000));
  else return bench::usage(argv[0]);
  return 0;
}
