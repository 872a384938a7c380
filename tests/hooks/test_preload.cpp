// LD_PRELOAD=libspindle_hooks.so in front of a spindle program that does not link the hooks: the
// shim finds the program's runtime (spindle_hooks_runtime_v1, exported by spindle's link
// arguments) and its blocking read parks the fiber.
#include <cstdlib>
#include <string>

#include "support.hpp"

using namespace spindle_test;

TEST_SUITE("hooks") {

TEST_CASE("preloaded into a program linked only with spindle, the hooks park its fibers") {
  const char* child = std::getenv("SPINDLE_HOOKS_PRELOAD_CHILD");
  const char* shim = std::getenv("SPINDLE_HOOKS_LIB");
  REQUIRE_MESSAGE(child, "SPINDLE_HOOKS_PRELOAD_CHILD is not set (run through meson test)");
  REQUIRE(shim);
  // Under ASan the child's runtime must come first; the preloaded shim goes before it.
  const ChildResult preloaded = run_child(
      {child}, {"LD_PRELOAD=" + std::string(shim), "ASAN_OPTIONS=verify_asan_link_order=0"});
  INFO(preloaded.output);
  CHECK(preloaded.exited_with(0));
  CHECK(preloaded.output == "hooks on, wrote, read 5\n");
  // Without the shim the same read would block the thread: the child's alarm ends it.
  const ChildResult plain = run_child({child, "1"}, {"SPINDLE_HOOKS=0", "LD_PRELOAD=" + std::string(shim),
                                               "ASAN_OPTIONS=verify_asan_link_order=0"});
  CHECK(plain.killed_by(SIGALRM));
}

}  // TEST_SUITE
