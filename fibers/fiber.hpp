#pragma once
// A Fiber is an execution context on a pooled stack, switched with Boost.Context's fcontext
// primitives (make_fcontext / jump_fcontext). It knows nothing about scheduling; the scheduler
// decides which fiber runs next and calls switch_to().
#include <boost/context/detail/fcontext.hpp>

#include <cstdint>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "fibers/detail/sanitizers.hpp"
#include "fibers/stack_pool.hpp"

namespace spindle::fibers {

struct Fiber {
  boost::context::detail::fcontext_t ctx = nullptr;  // the suspended context; null while running
  Stack stack;            // empty for the thread's own (loop) context
  void* entry = nullptr;  // the body, at the top of the stack, until the fiber first runs
  std::string name;
  std::uint64_t id = 0;
  // The C++ runtime's per-thread exception state (exceptions being handled), kept per fiber so a
  // fiber may park inside a catch block while others throw and catch.
  void* eh_caught = nullptr;
  unsigned eh_uncaught = 0;
#if SPINDLE_ASAN
  const void* asan_bottom = nullptr;
  std::size_t asan_size = 0;
  void* asan_fake_stack = nullptr;
#endif
#if SPINDLE_TSAN
  void* tsan_fiber = nullptr;
#endif

  Fiber();
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Prepares the fiber to run `body` on a stack from `pool`; nothing runs until switch_to().
  // `body(dead)` gets the fiber that finished just before this one first ran (or nullptr) and
  // returns the fiber to continue with when it is done; the stack then goes back to `pool`.
  template <class Body>
  void start(StackPool& pool, Body&& body);

  bool started() const { return ctx != nullptr; }
};

// Thrown inside a suspended fiber by unwind() to run its destructors; never catch it for good.
struct ForcedUnwind {};

namespace detail {
void annotate_new(Fiber& f) noexcept;
template <class Body>
void entry(boost::context::detail::transfer_t t) noexcept;
}  // namespace detail

}  // namespace spindle::fibers

// switch_to(from, to): runs `to` and suspends `from` (the running fiber) until something switches
// back; returns the fiber that finished to let `from` resume, or nullptr.
#include "fibers/detail/switch.hpp"

namespace spindle::fibers {

namespace detail {
template <class Body>
struct Entry {
  StackPool* pool;
  Body body;
};

template <class Body>
void entry(boost::context::detail::transfer_t t) noexcept {
  Fiber& self = *static_cast<Fiber*>(t.data);
  auto* e = static_cast<Entry<Body>*>(self.entry);
  Fiber* dead = switched_in(self, t.fctx);
  Fiber* next;
  try {
    next = e->body(dead);
  } catch (const ForcedUnwind&) {
    next = t_unwind_return;
  }
  StackPool* pool = e->pool;
  e->~Entry<Body>();
  exit_to(self, *next, *pool);
}
}  // namespace detail

template <class Body>
void Fiber::start(StackPool& pool, Body&& body) {
  using E = detail::Entry<std::decay_t<Body>>;
  stack = pool.allocate();
  StackPool::set_owner(stack, this);
  detail::annotate_new(*this);
  // The body lives at the top of the stack; the fiber's frames start 64 bytes below it.
  auto top = reinterpret_cast<std::uintptr_t>(stack.top());
  auto* e = new (reinterpret_cast<void*>((top - sizeof(E)) & ~std::uintptr_t{63}))
      E{&pool, std::forward<Body>(body)};
  entry = e;
  std::byte* sp = reinterpret_cast<std::byte*>(e) - 64;
  ctx = boost::context::detail::make_fcontext(
      sp, static_cast<std::size_t>(sp - stack.bottom), &detail::entry<std::decay_t<Body>>);
}

}  // namespace spindle::fibers
