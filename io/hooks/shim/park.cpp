#include "io/hooks/shim/park.hpp"

#include <dlfcn.h>

namespace spindle::hooks {
namespace {
const spindle_hooks_runtime* find_runtime() {
  using Entry = const spindle_hooks_runtime* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(RTLD_DEFAULT, "spindle_hooks_runtime_v1"));
  const spindle_hooks_runtime* rt = entry ? entry() : nullptr;
  return rt && rt->version == 1 ? rt : nullptr;
}
}  // namespace

const spindle_hooks_runtime* runtime() {
  static const spindle_hooks_runtime* const rt = find_runtime();
  return rt;
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
