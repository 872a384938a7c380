// fibers::Fiber and switch_to used directly, then fibers as the scheduler runs them.
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

#include "fibers/fiber.hpp"
#include "fibers/stack_pool.hpp"
#include "support.hpp"

using namespace spindle;
using namespace spindle_test;
using fibers::Fiber;
using fibers::StackPool;
using fibers::switch_to;

namespace {

struct DtorFlag {
  bool& flag;
  ~DtorFlag() { flag = true; }
};

// Uses about `depth` KiB of stack; not a tail call.
__attribute__((noinline)) int use_stack(int depth) {
  volatile char frame[1024];
  frame[0] = 1;
  if (depth == 0) return 0;
  return use_stack(depth - 1) + frame[0];  // = depth
}

}  // namespace

TEST_SUITE("fibers") {

TEST_CASE("Fiber: start runs nothing; switch_to runs it until it switches back") {
  StackPool pool(64 * 1024);
  Fiber main_ctx;
  Fiber f;
  Recorder rec;
  CHECK_FALSE(f.started());
  f.start(pool, [&](Fiber* dead) -> Fiber* {
    rec(dead ? "f begins after a death" : "f begins");
    CHECK(switch_to(f, main_ctx) == nullptr);  // main suspends again: nobody died
    rec("f resumed");
    return &main_ctx;
  });
  CHECK(f.started());
  CHECK(rec.str() == "");
  CHECK(pool.stats().stacks_in_use == 1);

  CHECK(switch_to(main_ctx, f) == nullptr);  // f suspended itself, did not finish
  rec("main");
  CHECK(f.started());
  Fiber* dead = switch_to(main_ctx, f);  // f finishes and continues main
  CHECK(dead == &f);
  CHECK_FALSE(f.started());
  CHECK(rec.str() == "f begins, main, f resumed");
  CHECK(pool.stats().stacks_in_use == 0);  // the finished fiber's stack went back to the pool
  CHECK(pool.stats().stacks_free >= 1);
}

TEST_CASE("Fiber: two fibers switch directly to each other, and a finished one hands over") {
  StackPool pool(64 * 1024);
  Fiber main_ctx, a, b;
  Recorder rec;
  Fiber* b_saw_dead = reinterpret_cast<Fiber*>(1);
  a.start(pool, [&](Fiber*) -> Fiber* {
    rec("a1");
    switch_to(a, b);
    rec("a2");
    switch_to(a, b);
    rec("a3");
    return &b;  // a finishes and continues b
  });
  b.start(pool, [&](Fiber* dead) -> Fiber* {
    b_saw_dead = dead;
    rec("b1");
    CHECK(switch_to(b, a) == nullptr);
    rec("b2");
    Fiber* d = switch_to(b, a);  // a runs to its end and continues b
    CHECK(d == &a);
    rec("b3");
    return &main_ctx;
  });
  CHECK(pool.stats().stacks_in_use == 2);
  Fiber* dead = switch_to(main_ctx, a);
  CHECK(dead == &b);
  CHECK(b_saw_dead == nullptr);  // b first ran after a suspended, not after a death
  CHECK(rec.str() == "a1, b1, a2, b2, a3, b3");
  CHECK(pool.stats().stacks_in_use == 0);
}

TEST_CASE("Fiber: a fiber that first runs right after another finished receives the dead one") {
  StackPool pool(64 * 1024);
  Fiber main_ctx, first, second;
  Fiber* second_saw = nullptr;
  first.start(pool, [&](Fiber*) -> Fiber* { return &second; });
  second.start(pool, [&](Fiber* dead) -> Fiber* {
    second_saw = dead;
    return &main_ctx;
  });
  CHECK(switch_to(main_ctx, first) == &second);
  CHECK(second_saw == &first);
  CHECK_FALSE(first.started());
  CHECK_FALSE(second.started());
}

TEST_CASE("Fiber: unwind() runs a suspended fiber's destructors and gives its stack back") {
  StackPool pool(64 * 1024);
  Fiber main_ctx;
  bool destroyed = false;
  bool reached_end = false;
  Fiber f;
  f.start(pool, [&](Fiber*) -> Fiber* {
    DtorFlag guard{destroyed};
    switch_to(f, main_ctx);
    reached_end = true;
    return &main_ctx;
  });
  CHECK(switch_to(main_ctx, f) == nullptr);
  CHECK_FALSE(destroyed);
  CHECK(pool.stats().stacks_in_use == 1);
  CHECK(fibers::unwind(main_ctx, f) == &f);  // it finished, back to main
  CHECK(destroyed);
  CHECK_FALSE(reached_end);
  CHECK_FALSE(f.started());
  CHECK(pool.stats().stacks_in_use == 0);
}

TEST_CASE("Fiber: unwinding passes through catch blocks that rethrow, and through parked frames") {
  StackPool pool(64 * 1024);
  Fiber main_ctx, f;
  Recorder rec;
  f.start(pool, [&](Fiber*) -> Fiber* {
    try {
      switch_to(f, main_ctx);
      rec("not reached");
    } catch (const std::exception&) {
      rec("std::exception must not catch the unwind");
    } catch (...) {
      rec("catch (...) saw it");
      throw;
    }
    return &main_ctx;
  });
  switch_to(main_ctx, f);
  CHECK(fibers::unwind(main_ctx, f) == &f);
  CHECK(rec.str() == "catch (...) saw it");
}

TEST_CASE("Fiber: an exception thrown and caught on a fiber stays on it") {
  StackPool pool(64 * 1024);
  Fiber main_ctx, f;
  std::string caught;
  f.start(pool, [&](Fiber*) -> Fiber* {
    try {
      throw std::runtime_error("inside");
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    return &main_ctx;
  });
  CHECK(switch_to(main_ctx, f) == &f);
  CHECK(caught == "inside");
}

TEST_CASE("scheduler: run() returns the main fiber's value, passes arguments, rethrows") {
  CHECK(run([](int a, std::string b) { return b + std::to_string(a); }, 42, std::string("x")) ==
        "x42");
  CHECK(run_virtual([] { return current_task().name(); }) == "main");
  CHECK_THROWS_WITH_AS(run([]() -> int { throw std::runtime_error("main failed"); }),
                       "main failed", std::runtime_error);
  run([] {});  // void main
}

TEST_CASE("scheduler: fibers that yield run round-robin in FIFO order") {
  Recorder rec;
  run_virtual([&] {
    auto worker = [&](std::string name) {
      for (int i = 0; i < 3; ++i) {
        rec(name + std::to_string(i));
        yield_now();
      }
    };
    auto a = spawn(worker, std::string("a"));
    auto b = spawn(worker, std::string("b"));
    auto c = spawn(worker, std::string("c"));
    a.get();
    b.get();
    c.get();
  });
  CHECK(rec.str() == "a0, b0, c0, a1, b1, c1, a2, b2, c2");
}

TEST_CASE("scheduler: locals on a fiber's stack survive its parks") {
  const long total = run_virtual([] {
    auto sum_with_parks = [](long base) {
      long values[64];
      for (int i = 0; i < 64; ++i) values[i] = base + i;
      sleep(1s);
      yield_now();
      long s = 0;
      for (long v : values) s += v;
      return s;
    };
    auto a = spawn(sum_with_parks, 1000L);
    auto b = spawn(sum_with_parks, 2000L);
    return a.get() + b.get();
  });
  CHECK(total == (64 * 1000 + 2016) + (64 * 2000 + 2016));
}

TEST_CASE("scheduler: stack_size from SpawnOptions and RunOptions selects the stack pool") {
  constexpr std::size_t kBig = 1024 * 1024;
  constexpr std::size_t kRunDefault = 192 * 1024;
  run(RunOptions{.stack_size = kRunDefault}, [&] {
    CHECK(this_loop().default_stack_size() == kRunDefault);
    // The main fiber itself runs on a stack of the run's default size.
    CHECK(StackPool::for_size(kRunDefault).stats().stacks_in_use == 1);
    const std::size_t big_before = StackPool::for_size(kBig).stats().stacks_in_use;
    auto t = spawn(SpawnOptions{.name = "big", .stack_size = kBig}, [&] {
      CHECK(StackPool::for_size(kBig).stats().stacks_in_use == big_before + 1);
      return use_stack(600);  // ~600 KiB: far beyond the 128 KiB default
    });
    auto small = spawn([&] { return StackPool::for_size(kRunDefault).stats().stacks_in_use; });
    CHECK(t.get() == 600);
    CHECK(small.get() == 2);  // main + this one, both of the run's default size
    CHECK(StackPool::for_size(kBig).stats().stacks_in_use == big_before);
  });
  run([] { CHECK(this_loop().default_stack_size() == StackPool::default_stack_size()); });
}

TEST_CASE("scheduler: finished fibers give their stacks back (sequential spawns reuse them)") {
  run_virtual([] {
    auto& pool = StackPool::for_size(0);
    const auto in_use = pool.stats().stacks_in_use;
    const auto slabs = pool.stats().slabs;
    for (int i = 0; i < 2000; ++i) spawn([i] { return i; }).get();
    CHECK(pool.stats().stacks_in_use == in_use);
    CHECK(pool.stats().slabs == slabs);
  });
}

TEST_CASE("scheduler: each thread has its own loop") {
  auto on_thread = [](int k, long& out) {
    out = run_virtual([k] {
      Stopwatch sw;
      auto t = spawn([k] { return sleep(1h, k * 10L); });
      return t.get() + std::chrono::duration_cast<std::chrono::hours>(sw.elapsed()).count();
    });
  };
  long r1 = 0, r2 = 0;
  std::thread t1(on_thread, 1, std::ref(r1));
  std::thread t2(on_thread, 2, std::ref(r2));
  t1.join();
  t2.join();
  CHECK(r1 == 11);
  CHECK(r2 == 21);
}

TEST_CASE("scheduler: a fiber parked inside a catch block keeps its own current exception") {
  // Each fiber has its own exception-handling state: another fiber catching and finishing its
  // own exception meanwhile must not change what `throw;` rethrows here.
  const std::string r = run_virtual([] {
    auto handler = [](std::string name) {
      try {
        throw std::runtime_error(name);
      } catch (...) {
        yield_now();
        yield_now();
        try {
          throw;
        } catch (const std::runtime_error& e) {
          return std::string(e.what());
        }
      }
      return std::string("not reached");
    };
    auto a = spawn(handler, std::string("a"));
    auto b = spawn(handler, std::string("b"));
    return a.get() + b.get();
  });
  CHECK(r == "ab");
}

TEST_CASE("scheduler: std::uncaught_exceptions() is per fiber") {
  // A fiber parked while its stack unwinds (in a destructor) must not make another fiber
  // believe it is unwinding too.
  int seen_by_other = -1;
  run_virtual([&] {
    struct ParksInDestructor {
      ~ParksInDestructor() {
        CHECK(std::uncaught_exceptions() == 1);
        yield_now_noexcept();
      }
      static void yield_now_noexcept() noexcept {
        try {
          yield_now();
        } catch (...) {
        }
      }
    };
    auto unwinding = spawn([] {
      ParksInDestructor p;
      throw std::runtime_error("unwinding");
    });
    auto other = spawn([&] { seen_by_other = std::uncaught_exceptions(); });
    unwinding.join();
    other.join();
    CHECK(unwinding.exception() != nullptr);
  });
  CHECK(seen_by_other == 0);
}

}  // TEST_SUITE
