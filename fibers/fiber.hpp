#pragma once
// A Fiber is an execution context: a Boost.Context continuation on a pooled stack. It knows nothing
// about scheduling; the scheduler decides which fiber runs next and calls switch_to().
#include <boost/context/fiber.hpp>

#include <cstdint>
#include <string>
#include <utility>

#include "fibers/stack_pool.hpp"

namespace spindle::fibers {

struct Fiber {
  boost::context::fiber ctx;  // the suspended continuation; empty while this fiber runs
  Stack stack;                // empty for the thread's own (loop) context
  std::string name;
  std::uint64_t id = 0;
  // The C++ runtime's per-thread exception state (exceptions being handled), kept per fiber so a
  // fiber may park inside a catch block while others throw and catch.
  void* eh_caught = nullptr;
  unsigned eh_uncaught = 0;
#if defined(__SANITIZE_ADDRESS__)
  const void* asan_bottom = nullptr;
  std::size_t asan_size = 0;
  void* asan_fake_stack = nullptr;
#endif
#if defined(__SANITIZE_THREAD__)
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

  bool started() const { return static_cast<bool>(ctx); }
};

namespace detail {
// Boost.Context's StackAllocator over a pooled stack obtained in advance.
struct PooledStack {
  StackPool* pool;
  Stack stack;
  boost::context::stack_context allocate() const noexcept {
    boost::context::stack_context sc;
    sc.size = stack.size;
    sc.sp = stack.top();
    return sc;
  }
  void deallocate(boost::context::stack_context&) noexcept { pool->release(stack); }
};
void annotate_new(Fiber& f) noexcept;
}  // namespace detail

}  // namespace spindle::fibers

// switch_to(from, to): runs `to` and suspends `from` (the running fiber) until something switches
// back; returns the fiber that finished to let `from` resume, or nullptr.
#include "fibers/detail/switch.hpp"

namespace spindle::fibers {

template <class Body>
void Fiber::start(StackPool& pool, Body&& body) {
  stack = pool.allocate();
  StackPool::set_owner(stack, this);
  detail::annotate_new(*this);
  ctx = boost::context::fiber(
      std::allocator_arg, detail::PooledStack{&pool, stack},
      [this, body = std::forward<Body>(body)](boost::context::fiber&& from) mutable {
        Fiber* next = body(detail::switched_in(*this, std::move(from)));
        return detail::exit_to(*this, *next);
      });
}

}  // namespace spindle::fibers
