// The floor for a fiber switch: two Boost.Context fibers (the thread's own context and one fiber)
// resuming each other directly, no scheduler at all.
//   bench_raw_switch yield [n]   2 x n switches -> ns/switch
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <memory>
#include <string>

#include "bench_common.hpp"

namespace ctx = boost::context;

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "yield") {
    std::fprintf(stderr, "usage: %s yield [n=1000000]\n", argv[0]);
    return 2;
  }
  const long n = bench::arg_or(argc, argv, 2, 1'000'000);
  ctx::fiber f(std::allocator_arg, ctx::protected_fixedsize_stack(bench::kStackSize),
               [n](ctx::fiber&& other) {
                 for (long i = 0; i < n; ++i) other = std::move(other).resume();
                 return std::move(other);
               });
  const auto t0 = bench::Clock::now();
  // Each resume is one switch in, and the fiber's resume back is one switch out: 2 n switches.
  for (long i = 0; i < n; ++i) f = std::move(f).resume();
  const double ns = bench::ns_since(t0);
  f = std::move(f).resume();  // let it return
  if (f) return 1;
  bench::report("raw_switch", "yield", ns / (2.0 * static_cast<double>(n)), "ns/switch");
  return 0;
}
