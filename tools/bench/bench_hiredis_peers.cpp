// The peers of bench_hiredis_fibers, without spindle: hiredis's own async API on its libevent
// adapter (one thread, one event loop, N connections each with one request in flight), and N OS
// threads running the blocking client loop.
//   bench_hiredis_peers async|threads PORT [clients=100] [seconds=3]
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <thread>
#include <vector>

#include "hiredis_load.hpp"

namespace {

constexpr const char* kUsage = "usage: bench_hiredis_peers async|threads PORT [clients=100] [seconds=3]\n";

struct AsyncClient {
  int id = 0;
  long done = 0;
  bench::Clock::time_point end;
  bool failed = false;
};

void fail(const redisAsyncContext* ac, AsyncClient& c, const char* what) {
  std::fprintf(stderr, "hiredis async: %s: %s\n", what, ac->errstr);
  c.failed = true;
}

void on_get(redisAsyncContext* ac, void* reply, void* priv) {
  auto& c = *static_cast<AsyncClient*>(priv);
  if (!reply) return fail(ac, c, "GET");
  ++c.done;
  if (bench::Clock::now() < c.end) {
    redisAsyncCommand(ac, on_get, &c, "GET bench:key:%d", c.id);
  } else {
    redisAsyncDisconnect(ac);
  }
}

void on_set(redisAsyncContext* ac, void* reply, void* priv) {
  auto& c = *static_cast<AsyncClient*>(priv);
  if (!reply) return fail(ac, c, "SET");
  redisAsyncCommand(ac, on_get, &c, "GET bench:key:%d", c.id);
}

long run_async(const hiredis_bench::Options& o, bench::Clock::time_point end) {
  event_base* base = event_base_new();
  std::vector<AsyncClient> clients(static_cast<std::size_t>(o.clients));
  for (int i = 0; i < o.clients; ++i) {
    AsyncClient& c = clients[static_cast<std::size_t>(i)];
    c.id = i;
    c.end = end;
    redisAsyncContext* ac = redisAsyncConnect(hiredis_bench::kHost, o.port);
    if (!ac || ac->err) {
      std::fprintf(stderr, "hiredis async: connect: %s\n", ac ? ac->errstr : "out of memory");
      std::exit(1);
    }
    redisLibeventAttach(ac, base);
    redisAsyncCommand(ac, on_set, &c, "SET bench:key:%d abc", i);
  }
  event_base_dispatch(base);  // returns when every connection is closed
  event_base_free(base);
  long total = 0;
  for (const AsyncClient& c : clients) {
    if (c.failed) std::exit(1);
    total += c.done;
  }
  return total;
}

long run_threads(const hiredis_bench::Options& o, bench::Clock::time_point end) {
  std::atomic<long> total{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < o.clients; ++i) {
    threads.emplace_back([&, i] {
      try {
        total += hiredis_bench::blocking_client(o, i, end);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed) std::exit(1);
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "async" && mode != "threads") {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const auto o = hiredis_bench::parse(argc, argv, 2, kUsage);
  const double cpu0 = hiredis_bench::cpu_seconds();
  const auto t0 = bench::Clock::now();
  const auto end = t0 + std::chrono::duration_cast<bench::Clock::duration>(
                            std::chrono::duration<double>(o.seconds));
  const long total = mode == "async" ? run_async(o, end) : run_threads(o, end);
  hiredis_bench::report(mode.c_str(), total, bench::ns_since(t0) / 1e9,
                        hiredis_bench::cpu_seconds() - cpu0);
  return 0;
}
