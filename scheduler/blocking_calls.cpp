// Debug mode: warn when a fiber blocks the whole thread in a known-blocking libc sleep.
// These definitions interpose libc's sleep/usleep/nanosleep for the program (also for calls made
// from shared libraries such as libstdc++'s std::this_thread::sleep_for); outside a fiber in a
// debug-mode loop they only forward to the kernel.
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "scheduler/detail/logger.hpp"
#include "scheduler/loop.hpp"

namespace spindle::detail {
namespace {
void warn_if_in_fiber(const char* call) noexcept {
  Loop* running = Loop::running_on_this_thread();
  if (!running || !running->debug() || !running->current()) return;
  Loop& loop = *running;
  logger().warn("fiber '{}' (id {}) called blocking {}(): it stops every fiber on this thread; "
                "use spindle::sleep", loop.current()->display_name(), loop.current()->id, call);
}

int sys_nanosleep(const timespec* req, timespec* rem) noexcept {
  return static_cast<int>(syscall(SYS_nanosleep, req, rem));
}
}  // namespace

// Referenced from loop.cpp so these definitions are always linked in with the library.
void blocking_call_hooks() noexcept {}
}  // namespace spindle::detail

extern "C" {
int nanosleep(const timespec* req, timespec* rem) {
  spindle::detail::warn_if_in_fiber("nanosleep");
  return spindle::detail::sys_nanosleep(req, rem);
}

int usleep(useconds_t usec) {
  spindle::detail::warn_if_in_fiber("usleep");
  const timespec ts{static_cast<time_t>(usec / 1000000), static_cast<long>(usec % 1000000) * 1000};
  return spindle::detail::sys_nanosleep(&ts, nullptr);
}

unsigned int sleep(unsigned int seconds) {
  spindle::detail::warn_if_in_fiber("sleep");
  timespec ts{static_cast<time_t>(seconds), 0};
  timespec rem{};
  if (spindle::detail::sys_nanosleep(&ts, &rem) == -1 && errno == EINTR) {
    return static_cast<unsigned int>(rem.tv_sec + (rem.tv_nsec > 0 ? 1 : 0));
  }
  return 0;
}
}
