// hiredis's blocking API from N spindle fibers on one thread, made concurrent by spindle-hooks
// (this program links libspindle_hooks.so): the same client loop as bench_hiredis_peers's threads.
//   bench_hiredis_fibers PORT [clients=100] [seconds=3]
#include <spindle.hpp>

#include <vector>

#include "hiredis_load.hpp"

int main(int argc, char** argv) {
  const auto o = hiredis_bench::parse(argc, argv, 1,
                                      "usage: bench_hiredis_fibers PORT [clients=100] [seconds=3]\n");
  const double cpu0 = hiredis_bench::cpu_seconds();
  const auto t0 = bench::Clock::now();
  const auto end = t0 + std::chrono::duration_cast<bench::Clock::duration>(
                            std::chrono::duration<double>(o.seconds));
  long total = 0;
  spindle::run([&] {
    if (!spindle::hooks_active()) throw std::runtime_error("spindle-hooks is not active");
    std::vector<spindle::Task<long>> clients;
    for (int i = 0; i < o.clients; ++i) {
      clients.push_back(spindle::spawn([&o, i, end] { return hiredis_bench::blocking_client(o, i, end); }));
    }
    for (auto& c : clients) total += c.get();
  });
  hiredis_bench::report("fibers", total, bench::ns_since(t0) / 1e9, hiredis_bench::cpu_seconds() - cpu0);
  return 0;
}
