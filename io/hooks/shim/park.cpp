#include "io/hooks/shim/park.hpp"

#include <dlfcn.h>

#include <mutex>

namespace spindle::hooks {

std::atomic<const spindle_hooks_runtime*> g_runtime{nullptr};
std::atomic<bool> g_runtime_known{false};

const spindle_hooks_runtime* find_runtime() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    using Entry = const spindle_hooks_runtime* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(RTLD_DEFAULT, "spindle_hooks_runtime_v1"));
    const spindle_hooks_runtime* rt = entry ? entry() : nullptr;
    g_runtime.store(rt && rt->version == 1 ? rt : nullptr, std::memory_order_relaxed);
    g_runtime_known.store(true, std::memory_order_release);
  });
  return g_runtime.load(std::memory_order_relaxed);
}

int park_on(const spindle_hooks_runtime& rt, int fd, const FdInfo& f, short events,
            const Deadline& d, const char* what, int timeout_errno) {
  const spindle_hook_fd one{fd, events, f.gen};
  switch (rt.wait(&one, 1, d.remaining(), what)) {
    case SPINDLE_HOOK_TIMED_OUT: return timeout_errno;
    case SPINDLE_HOOK_CANCELLED: return ECANCELED;
    case SPINDLE_HOOK_CLOSED: return EBADF;
    default: return 0;
  }
}

}  // namespace spindle::hooks

// Tells the runtime (hooks_active) that the shim is loaded.
SPINDLE_HOOK void spindle_hooks_shim_v1() {}
