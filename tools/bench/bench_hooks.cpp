// What the hooks cost a call that is not made from a fiber (another thread, before run(), a
// program that links spindle-hooks for a few of its threads): the hooked poll(nullptr, 0, 0)
// against libc's own, looked up in libc.so.6 itself, in alternating batches of the same run.
//   bench_hooks outside [calls=2000000]   -> ns/call for each, and the difference
#include <dlfcn.h>
#include <poll.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace {

using PollFn = int (*)(pollfd*, nfds_t, int);

double ns_per_call(PollFn fn, long calls) {
  const auto t0 = bench::Clock::now();
  for (long i = 0; i < calls; ++i) fn(nullptr, 0, 0);
  return bench::ns_since(t0) / static_cast<double>(calls);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "outside") {
    std::fprintf(stderr, "usage: %s outside [calls=2000000]\n", argv[0]);
    return 2;
  }
  const long calls = bench::arg_or(argc, argv, 2, 2'000'000);
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  auto raw = reinterpret_cast<PollFn>(libc ? dlsym(libc, "poll") : nullptr);
  auto hooked = reinterpret_cast<PollFn>(dlsym(RTLD_DEFAULT, "poll"));
  if (!raw || !hooked || raw == hooked) {
    std::fprintf(stderr, "bench_hooks: the hooked poll is not in front of libc's\n");
    return 1;
  }
  constexpr int kBatches = 21;
  std::vector<double> raw_ns, hooked_ns;
  for (int b = 0; b < kBatches; ++b) {
    raw_ns.push_back(ns_per_call(raw, calls / kBatches));
    hooked_ns.push_back(ns_per_call(hooked, calls / kBatches));
  }
  const double r = median(raw_ns), h = median(hooked_ns);
  bench::report("libc", "poll_outside_fiber", r, "ns/call");
  bench::report("hooks", "poll_outside_fiber", h, "ns/call");
  bench::report("hooks", "poll_outside_fiber_extra", h - r, "ns/call");
  return 0;
}
