// Helper program for test_diagnostics.cpp and test_stack_pool.cpp, run as a child process.
//   overflow_child [overflow]  — recurses without end in a fiber named "deep_recursion" with a
//                                64 KiB stack: the guard page must turn that into a stack-overflow
//                                report naming the fiber, then abort().
//   overflow_child maps N      — allocates N stacks from a fresh pool and prints the guard mode,
//                                how many memory mappings that added, and the pool's stats.
// Both first print "guard=<mode>" (the mode SPINDLE_GUARD selected, before any stack exists).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "fibers/stack_pool.hpp"
#include "spindle.hpp"

namespace {

const char* mode_name(spindle::fibers::GuardMode m) {
  switch (m) {
    case spindle::fibers::GuardMode::guard_install: return "guard_install";
    case spindle::fibers::GuardMode::mprotect: return "mprotect";
    case spindle::fibers::GuardMode::none: return "none";
  }
  return "?";
}

std::size_t count_mappings() {
  std::ifstream maps("/proc/self/maps");
  std::size_t n = 0;
  for (std::string line; std::getline(maps, line);) ++n;
  return n;
}

// Not a tail call: the frame is used after the recursive call returns. Endless on purpose.
#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) int recurse(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  return recurse(depth + 1) + frame[0];
}

int overflow() {
  return spindle::run([] {
    auto t = spindle::spawn(
        spindle::SpawnOptions{.name = "deep_recursion", .stack_size = 64 * 1024},
        [] { return recurse(0); });
    return t.get();
  });
}

int maps(std::size_t n) {
  spindle::fibers::StackPool pool(64 * 1024);
  const std::size_t before = count_mappings();
  std::vector<spindle::fibers::Stack> stacks;
  for (std::size_t i = 0; i < n; ++i) stacks.push_back(pool.allocate());
  const std::size_t after = count_mappings();
  const auto st = pool.stats();
  std::printf("mode=%s added_mappings=%zu in_use=%zu unguarded=%zu\n", mode_name(st.mode),
              after - before, st.stacks_in_use, st.unguarded);
  for (auto& s : stacks) pool.release(s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("guard=%s\n", mode_name(spindle::fibers::StackPool::guard_mode()));
  std::fflush(stdout);
  const std::string_view what = argc > 1 ? argv[1] : "overflow";
  if (what == "overflow") return overflow();
  if (what == "maps" && argc > 2) return maps(std::strtoul(argv[2], nullptr, 10));
  std::fprintf(stderr, "usage: overflow_child [overflow | maps N]\n");
  return 2;
}
