// Debug mode: warn when a fiber blocks the whole thread in a known-blocking libc sleep.
// These definitions interpose libc's sleep/usleep/nanosleep for the program (also for calls made
// from shared libraries such as libstdc++'s std::this_thread::sleep_for) and forward to the next
// definition: libspindle_hooks.so's when it is loaded (the sleep then parks the fiber: nothing to
// warn about), else libc's.
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

#include "scheduler/detail/logger.hpp"
#include "scheduler/loop.hpp"

namespace spindle::detail {
namespace {
bool hooks_shim_loaded() {
  static const bool loaded = dlsym(RTLD_DEFAULT, "spindle_hooks_shim_v1") != nullptr;
  return loaded;
}

void warn_if_in_fiber(const char* call) noexcept {
  Loop* running = Loop::running_on_this_thread();
  if (!running || !running->debug() || !running->current()) return;
  if (running->hooks() && hooks_shim_loaded()) return;
  Loop& loop = *running;
  logger().warn("fiber '{}' (id {}) called blocking {}(): it stops every fiber on this thread; "
                "use spindle::sleep", loop.current()->display_name(), loop.current()->id, call);
}

// The definition after this program's: the hooks' or libc's.
template <class Fn>
Fn next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}
}  // namespace

// Referenced from loop.cpp so these definitions are always linked in with the library.
void blocking_call_hooks() noexcept {}
}  // namespace spindle::detail

extern "C" {
int nanosleep(const timespec* req, timespec* rem) {
  static const auto real = spindle::detail::next<int (*)(const timespec*, timespec*)>("nanosleep");
  spindle::detail::warn_if_in_fiber("nanosleep");
  return real(req, rem);
}

int usleep(useconds_t usec) {
  static const auto real = spindle::detail::next<int (*)(useconds_t)>("usleep");
  spindle::detail::warn_if_in_fiber("usleep");
  return real(usec);
}

unsigned int sleep(unsigned int seconds) {
  static const auto real = spindle::detail::next<unsigned (*)(unsigned)>("sleep");
  spindle::detail::warn_if_in_fiber("sleep");
  return real(seconds);
}
}
