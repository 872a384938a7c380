// The stack pool: slabs, reuse, guard pages (checked in child processes), fallbacks, stats.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "fibers/fiber.hpp"
#include "fibers/stack_pool.hpp"
#include "spindle/testing.hpp"
#include "support.hpp"

using namespace spindle;
using namespace spindle_test;
using fibers::GuardMode;
using fibers::Stack;
using fibers::StackPool;

namespace {

const std::size_t kPage = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
constexpr std::size_t k64K = 64 * 1024;


bool resident(const std::byte* page) {
  unsigned char v = 0;
  REQUIRE(mincore(const_cast<std::byte*>(page), kPage, &v) == 0);
  return v & 1;
}

std::size_t slots_per_slab(std::size_t stack_size) {
  return (32u << 20) / (stack_size + kPage);
}

}  // namespace

TEST_SUITE("stack_pool") {

TEST_CASE("sizes are rounded up to whole pages, at least four") {
  CHECK(StackPool(1).stack_size() == 4 * kPage);
  CHECK(StackPool(k64K).stack_size() == k64K);
  CHECK(StackPool(k64K + 1).stack_size() == k64K + kPage);
  CHECK(StackPool::default_stack_size() == 128 * 1024);
  CHECK(&StackPool::for_size(0) == &StackPool::for_size(StackPool::default_stack_size()));
  CHECK(&StackPool::for_size(k64K) != &StackPool::for_size(2 * k64K));
}

TEST_CASE("allocate hands out usable, page-aligned, distinct stacks one stride apart") {
  StackPool pool(k64K);
  const auto empty = pool.stats();
  CHECK(empty.stacks_in_use == 0);
  CHECK(empty.stacks_free == 0);
  CHECK(empty.slabs == 0);  // no memory until the first stack is asked for

  std::vector<Stack> stacks;
  for (int i = 0; i < 10; ++i) stacks.push_back(pool.allocate());
  for (std::size_t i = 0; i < stacks.size(); ++i) {
    const Stack& s = stacks[i];
    CHECK(s.size == k64K);
    CHECK(reinterpret_cast<std::uintptr_t>(s.bottom) % kPage == 0);
    CHECK(s.top() == s.bottom + k64K);
    CHECK_FALSE(s.fresh);
    if (i > 0) CHECK(s.bottom - stacks[i - 1].bottom == std::ptrdiff_t(k64K + kPage));
    // Every byte is writable.
    std::memset(s.bottom, 0xAB, s.size);
    CHECK(s.bottom[0] == std::byte{0xAB});
    CHECK(s.top()[-1] == std::byte{0xAB});
  }
  const auto st = pool.stats();
  CHECK(st.stacks_in_use == 10);
  CHECK(st.slabs == 1);
  CHECK(st.stacks_free == slots_per_slab(k64K) - 10);
  CHECK(st.unguarded == 0);
  for (auto& s : stacks) pool.release(s);
  CHECK(pool.stats().stacks_in_use == 0);
  CHECK(pool.stats().stacks_free == slots_per_slab(k64K));
}

TEST_CASE("a released stack is the next one handed out (LIFO reuse)") {
  StackPool pool(k64K);
  Stack a = pool.allocate();
  Stack b = pool.allocate();
  pool.release(a);
  Stack c = pool.allocate();
  CHECK(c.bottom == a.bottom);
  CHECK(c.owner == a.owner);
  pool.release(b);
  pool.release(c);
  Stack d = pool.allocate();
  CHECK(d.bottom == c.bottom);
  pool.release(d);
}

TEST_CASE("a full slab makes the pool add another") {
  StackPool pool(k64K);
  const std::size_t slots = slots_per_slab(k64K);
  std::vector<Stack> stacks;
  for (std::size_t i = 0; i < slots; ++i) stacks.push_back(pool.allocate());
  CHECK(pool.stats().slabs == 1);
  CHECK(pool.stats().stacks_free == 0);
  stacks.push_back(pool.allocate());
  CHECK(pool.stats().slabs == 2);
  CHECK(pool.stats().stacks_in_use == slots + 1);
  CHECK(pool.stats().stacks_free == slots - 1);
  CHECK(stacks.back().owner != stacks.front().owner);
  std::set<std::byte*> bottoms;
  for (auto& s : stacks) bottoms.insert(s.bottom);
  CHECK(bottoms.size() == stacks.size());
  for (auto& s : stacks) pool.release(s);
  CHECK(pool.stats().stacks_in_use == 0);
}

TEST_CASE("trim() gives back the pages of stacks left unused since the previous trim") {
  StackPool pool(k64K);
  auto resident_count = [&](const std::vector<Stack>& v) {
    int n = 0;
    for (const auto& s : v) n += resident(s.top() - kPage) ? 1 : 0;
    return n;
  };
  std::vector<Stack> stacks;
  for (int i = 0; i < 100; ++i) stacks.push_back(pool.allocate());
  for (auto& s : stacks) s.top()[-1] = std::byte{1};  // touch each stack's top page
  CHECK(resident_count(stacks) == 100);
  for (auto& s : stacks) pool.release(s);
  CHECK(resident_count(stacks) == 100);  // release itself keeps the pages (fast reuse)
  pool.trim();
  CHECK(resident_count(stacks) == 100);  // all were used since the previous trim: hot
  pool.trim();
  CHECK(resident_count(stacks) == 0);  // untouched for a whole trim period: given back

  // Of 20 stacks used in one period, the 5 used again in the next stay; 15 go.
  std::vector<Stack> twenty;
  for (int i = 0; i < 20; ++i) twenty.push_back(pool.allocate());
  for (auto& s : twenty) s.top()[-1] = std::byte{1};
  for (auto& s : twenty) pool.release(s);
  pool.trim();
  CHECK(resident_count(twenty) == 20);
  std::vector<Stack> five;
  for (int i = 0; i < 5; ++i) five.push_back(pool.allocate());
  for (auto& s : five) s.top()[-1] = std::byte{1};
  for (auto& s : five) pool.release(s);
  pool.trim();
  CHECK(resident_count(twenty) == 5);
  CHECK(resident_count(five) == 5);
  CHECK(pool.stats().stacks_in_use == 0);
}

TEST_CASE("writing into the guard page below a stack faults (forked child)") {
  SUBCASE("the usable range is writable to its last byte") {
    auto r = in_forked_child([] {
      StackPool pool(k64K);
      Stack s = pool.allocate();
      volatile std::byte* lo = s.bottom;
      volatile std::byte* hi = s.top() - 1;
      *lo = std::byte{1};
      *hi = std::byte{1};
    });
    CHECK(r.exited_with(0));
  }
  SUBCASE("one byte below the stack: SIGSEGV (no fiber owns it, so no overflow report)") {
    auto r = in_forked_child([] {
      StackPool pool(k64K);
      pool.allocate();
      Stack s = pool.allocate();  // not the slab's first slot either
      volatile std::byte* below = s.bottom - 1;
      *below = std::byte{1};
    });
    CHECK(r.died_of_segv());
    CHECK(r.output.find("stack overflow") == std::string::npos);
  }
  SUBCASE("the lowest byte of the guard page of a reused stack in a second slab") {
    auto r = in_forked_child([] {
      StackPool pool(k64K);
      std::vector<Stack> all;
      for (std::size_t i = 0; i < slots_per_slab(k64K) + 1; ++i) all.push_back(pool.allocate());
      Stack s = all.back();
      pool.release(s);
      s = pool.allocate();
      volatile std::byte* bottom_of_guard = s.bottom - kPage;
      *bottom_of_guard = std::byte{1};
    });
    CHECK(r.died_of_segv());
  }
  SUBCASE("a guard hit on a stack owned by a fiber is reported by name, then abort()") {
    auto r = in_forked_child([] {
      StackPool pool(k64K);
      Stack s = pool.allocate();
      static fibers::Fiber owner;
      owner.name = "guarded";
      owner.id = 7;
      owner.stack = s;
      StackPool::set_owner(s, &owner);
      volatile std::byte* below = s.bottom - 100;
      *below = std::byte{1};
    });
    CHECK(r.killed_by(SIGABRT));
    CHECK(r.output.find("stack overflow in fiber 'guarded' (id 7, stack_size 65536 bytes)") !=
          std::string::npos);
  }
  SUBCASE("a fault outside every guard page is left to the default action") {
    auto r = in_forked_child([] {
      StackPool pool(k64K);
      pool.allocate();
      // A page of our own with no access (not a null pointer: UBSan would report that first).
      void* page = mmap(nullptr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      volatile int* p = static_cast<int*>(page);
      *p = 1;
    });
    CHECK(r.died_of_segv());
    CHECK(r.output.find("stack overflow") == std::string::npos);
  }
}

TEST_CASE("guard pages do not split the slab's mapping (MADV_GUARD_INSTALL), else mprotect") {
  // In a child process so that SPINDLE_GUARD's fresh environment decides the mode.
  auto r = run_child({overflow_child_path(), "maps", "100"});
  REQUIRE(r.exited_with(0));
  INFO(r.output);
  if (r.output.find("mode=guard_install") != std::string::npos) {
    // One mapping for the slab at most (it may also merge with a neighbour). AddressSanitizer's
    // allocator maps memory of its own meanwhile; mprotect guards would still add >= 100.
    const auto at = r.output.find("added_mappings=");
    REQUIRE(at != std::string::npos);
    const int added = std::stoi(r.output.substr(at + 15));
#if defined(__SANITIZE_ADDRESS__)
    CHECK(added < 50);
#else
    CHECK(added <= 2);
#endif
  } else {
    // A kernel before 6.13: the pool must have fallen back to mprotect, never to no guard.
    CHECK(r.output.find("mode=mprotect") != std::string::npos);
  }
  CHECK(r.output.find("guard=guard_install") != std::string::npos);  // the initial mode
  CHECK(r.output.find("in_use=100 unguarded=0") != std::string::npos);
}

TEST_CASE("SPINDLE_GUARD=mprotect: guards via mprotect (one mapping split per stack)") {
  auto r = run_child({overflow_child_path(), "maps", "100"}, {"SPINDLE_GUARD=mprotect"});
  INFO(r.output);
  REQUIRE(r.exited_with(0));
  CHECK(r.output.find("guard=mprotect") != std::string::npos);
  CHECK(r.output.find("mode=mprotect") != std::string::npos);
  CHECK(r.output.find("in_use=100 unguarded=0") != std::string::npos);
  const auto pos = r.output.find("added_mappings=");
  REQUIRE(pos != std::string::npos);
  CHECK(std::stoul(r.output.substr(pos + 15)) >= 100);
}

TEST_CASE("SPINDLE_GUARD=mprotect: a stack overflow is still caught and reported") {
  auto r = run_child({overflow_child_path()}, {"SPINDLE_GUARD=mprotect"});
  INFO(r.output);
  CHECK(r.output.find("guard=mprotect") != std::string::npos);
  CHECK(r.killed_by(SIGABRT));
  CHECK(r.output.find("stack overflow in fiber 'deep_recursion'") != std::string::npos);
}

TEST_CASE("SPINDLE_GUARD=none: stacks come without guards and the stats say so") {
  auto r = run_child({overflow_child_path(), "maps", "10"}, {"SPINDLE_GUARD=none"});
  INFO(r.output);
  REQUIRE(r.exited_with(0));
  CHECK(r.output.find("mode=none added_mappings=") != std::string::npos);
  CHECK(r.output.find("in_use=10 unguarded=10") != std::string::npos);
}

TEST_CASE("stats through the scheduler: the running fibers' stacks are in use") {
  run_virtual([] {
    auto& pool = StackPool::for_size(0);
    const auto base = pool.stats().stacks_in_use;  // main (and nothing else)
    CHECK(base >= 1);
    WaitQueue q;
    std::vector<Task<void>> tasks;
    for (int i = 0; i < 5; ++i) {
      tasks.push_back(spawn([&] {
        Waiter w("test");
        q.wait(w);
      }));
    }
    spindle::testing::wait_all_blocked();
    CHECK(q.size() == 5);
    CHECK(pool.stats().stacks_in_use == base + 5);
    q.wake_all();
    for (auto& t : tasks) t.get();
    CHECK(pool.stats().stacks_in_use == base);
  });
}

}  // TEST_SUITE
