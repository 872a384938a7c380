#pragma once
// The one context switch, inline on the hot path. Swaps the C++ runtime's exception state and, in
// sanitizer builds only, tells ASan/TSan about the stack change.
#include "fibers/fiber.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

// libstdc++'s per-thread exception-handling globals (unwind-cxx.h), swapped on every switch.
namespace __cxxabiv1 {
struct __cxa_eh_globals;
extern "C" __cxa_eh_globals* __cxa_get_globals() noexcept;
}  // namespace __cxxabiv1

namespace spindle::fibers::detail {
struct EhGlobals {
  void* caught;
  unsigned int uncaught;
};

extern constinit thread_local EhGlobals* t_eh __attribute__((tls_model("initial-exec")));

inline EhGlobals& eh_globals() noexcept {
  if (!t_eh) [[unlikely]] t_eh = reinterpret_cast<EhGlobals*>(__cxxabiv1::__cxa_get_globals());
  return *t_eh;
}

// The fiber that is switching away; whoever runs next stores its continuation back into it.
extern constinit thread_local Fiber* t_from __attribute__((tls_model("initial-exec")));

inline void before_switch(Fiber& from, Fiber& to, bool from_dies) noexcept {
  t_from = &from;
  EhGlobals& eh = eh_globals();
  from.eh_caught = eh.caught;
  from.eh_uncaught = eh.uncaught;
  eh.caught = to.eh_caught;
  eh.uncaught = to.eh_uncaught;
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(from_dies ? nullptr : &from.asan_fake_stack, to.asan_bottom,
                                 to.asan_size);
#else
  (void)from_dies;
#endif
#if defined(__SANITIZE_THREAD__)
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
  (void)to;
}

inline Fiber* switched_in(Fiber& self, boost::context::fiber&& from) noexcept {
  Fiber* prev = t_from;
#if defined(__SANITIZE_ADDRESS__)
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(self.asan_fake_stack, &bottom, &size);
  if (!prev->stack.bottom) {  // the thread's own stack: learn its bounds on first leave
    prev->asan_bottom = bottom;
    prev->asan_size = size;
  }
#else
  (void)self;
#endif
  if (from) {
    prev->ctx = std::move(from);
    return nullptr;
  }
#if defined(__SANITIZE_THREAD__)
  __tsan_destroy_fiber(prev->tsan_fiber);
#endif
  return prev;  // it finished; Boost.Context already gave its stack back to the pool
}

inline boost::context::fiber exit_to(Fiber& self, Fiber& next) noexcept {
  before_switch(self, next, true);
  return std::move(next.ctx);
}
}  // namespace spindle::fibers::detail

namespace spindle::fibers {
inline Fiber* switch_to(Fiber& from, Fiber& to) {
  detail::before_switch(from, to, false);
  return detail::switched_in(from, std::move(to.ctx).resume());
}
}  // namespace spindle::fibers
