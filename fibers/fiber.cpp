#include "fibers/fiber.hpp"

namespace spindle::fibers {

constinit thread_local detail::EhGlobals* detail::t_eh = nullptr;
constinit thread_local Fiber* detail::t_from = nullptr;

Fiber::Fiber() {
#if defined(__SANITIZE_THREAD__)
  tsan_fiber = __tsan_get_current_fiber();  // the thread's own context until start() says otherwise
#endif
}

Fiber::~Fiber() = default;

namespace detail {
void annotate_new(Fiber& f) noexcept {
#if defined(__SANITIZE_ADDRESS__)
  f.asan_bottom = f.stack.bottom;
  f.asan_size = f.stack.size;
#endif
#if defined(__SANITIZE_THREAD__)
  f.tsan_fiber = __tsan_create_fiber(0);
#endif
  (void)f;
}

}  // namespace detail

}  // namespace spindle::fibers
