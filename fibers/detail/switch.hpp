#pragma once
// The one context switch, inline on the hot path. Swaps the C++ runtime's exception state and, in
// sanitizer builds only, tells ASan/TSan about the stack change.
//
// Protocol: jump_fcontext passes the target Fiber* (a fresh fiber needs it to find its body); the
// fiber that switched away is in t_from, and t_from_died says whether it finished (then its stack
// is already back in the pool and the caller owns the rest of its clean-up).
#include "fibers/fiber.hpp"

#if SPINDLE_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if SPINDLE_TSAN
#include <sanitizer/tsan_interface.h>
#endif

// libstdc++'s per-thread exception-handling globals (unwind-cxx.h), swapped on every switch.
namespace __cxxabiv1 {
struct __cxa_eh_globals;
extern "C" __cxa_eh_globals* __cxa_get_globals() noexcept;
}  // namespace __cxxabiv1

namespace spindle::fibers::detail {
namespace bc = boost::context::detail;

struct EhGlobals {
  void* caught;
  unsigned int uncaught;
};

extern constinit thread_local EhGlobals* t_eh __attribute__((tls_model("initial-exec")));
extern constinit thread_local Fiber* t_from __attribute__((tls_model("initial-exec")));
extern constinit thread_local bool t_from_died __attribute__((tls_model("initial-exec")));
// Where a fiber goes after it has been unwound by unwind().
extern constinit thread_local Fiber* t_unwind_return __attribute__((tls_model("initial-exec")));

inline EhGlobals& eh_globals() noexcept {
  if (!t_eh) [[unlikely]] t_eh = reinterpret_cast<EhGlobals*>(__cxxabiv1::__cxa_get_globals());
  return *t_eh;
}

inline void before_switch(Fiber& from, Fiber& to, bool from_dies) noexcept {
  t_from = &from;
  t_from_died = from_dies;
  EhGlobals& eh = eh_globals();
  from.eh_caught = eh.caught;
  from.eh_uncaught = eh.uncaught;
  eh.caught = to.eh_caught;
  eh.uncaught = to.eh_uncaught;
#if SPINDLE_ASAN
  __sanitizer_start_switch_fiber(from_dies ? nullptr : &from.asan_fake_stack, to.asan_bottom,
                                 to.asan_size);
#endif
#if SPINDLE_TSAN
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
  (void)to;
}

// Runs first thing after every switch, on the fiber switched to.
inline Fiber* switched_in(Fiber& self, bc::fcontext_t from_ctx) noexcept {
  Fiber* prev = t_from;
#if SPINDLE_ASAN
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
  if (!t_from_died) [[likely]] {
    prev->ctx = from_ctx;
    return nullptr;
  }
  t_from_died = false;
#if SPINDLE_TSAN
  __tsan_destroy_fiber(prev->tsan_fiber);
#endif
  return prev;
}

// The last switch of a finished fiber: its stack goes back to `pool` first (nothing can reuse it
// before the jump: this thread is busy jumping), then it never runs again.
[[noreturn]] inline void exit_to(Fiber& self, Fiber& next, StackPool& pool) noexcept {
  before_switch(self, next, true);
  self.entry = nullptr;
  pool.release(self.stack);
  bc::jump_fcontext(std::exchange(next.ctx, nullptr), &next);
  __builtin_unreachable();
}

}  // namespace spindle::fibers::detail

namespace spindle::fibers {

inline Fiber* switch_to(Fiber& from, Fiber& to) {
  detail::before_switch(from, to, false);
  detail::bc::transfer_t t = detail::bc::jump_fcontext(std::exchange(to.ctx, nullptr), &to);
  return detail::switched_in(from, t.fctx);
}

// Unwinds a suspended fiber's stack (its destructors run; ForcedUnwind passes through its code)
// and lets it finish; returns once it has, to `from`. Returns the finished fiber.
Fiber* unwind(Fiber& from, Fiber& victim);

}  // namespace spindle::fibers
