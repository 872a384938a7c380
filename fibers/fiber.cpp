#include "fibers/fiber.hpp"

namespace spindle::fibers {

constinit thread_local detail::EhGlobals* detail::t_eh = nullptr;
constinit thread_local Fiber* detail::t_from = nullptr;
constinit thread_local bool detail::t_from_died = false;
constinit thread_local Fiber* detail::t_unwind_return = nullptr;

Fiber::Fiber() {
#if SPINDLE_TSAN
  tsan_fiber = __tsan_get_current_fiber();  // the thread's own context until start() says otherwise
#endif
}

Fiber::~Fiber() = default;

namespace detail {
void annotate_new(Fiber& f) noexcept {
#if SPINDLE_ASAN
  f.asan_bottom = f.stack.bottom;
  f.asan_size = f.stack.size;
#endif
#if SPINDLE_TSAN
  f.tsan_fiber = __tsan_create_fiber(0);
#endif
  (void)f;
}

namespace {
// Runs on the victim's stack in place of whatever it was suspended in.
bc::transfer_t throw_unwind(bc::transfer_t t) {
  Fiber& self = *static_cast<Fiber*>(t.data);
  switched_in(self, t.fctx);
  throw ForcedUnwind{};
}
}  // namespace
}  // namespace detail

Fiber* unwind(Fiber& from, Fiber& victim) {
  detail::t_unwind_return = &from;
  detail::before_switch(from, victim, false);
  detail::bc::transfer_t t =
      detail::bc::ontop_fcontext(std::exchange(victim.ctx, nullptr), &victim, detail::throw_unwind);
  return detail::switched_in(from, t.fctx);
}

}  // namespace spindle::fibers
