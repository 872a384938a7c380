// The generic conformance suite for lock-like types (Trio's test_sync.py): mutual exclusion, FIFO
// fairness with hand-off, cancellation while queued, timeouts, and the std lock wrappers — run over
// Lock, Semaphore(1) and BoundedSemaphore(1).
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {
template <class L>
std::unique_ptr<L> make_lock() {
  if constexpr (std::is_same_v<L, Lock>) return std::make_unique<Lock>();
  else return std::make_unique<L>(1);
}
}  // namespace

TEST_SUITE("lock_like") {

TEST_CASE_TEMPLATE("lock-like: try_lock, locked and unlock", L, Lock, Semaphore, BoundedSemaphore) {
  run_virtual([] {
    auto l = make_lock<L>();
    CHECK_FALSE(l->locked());
    CHECK(l->try_lock());
    CHECK(l->locked());
    CHECK_FALSE(l->try_lock());
    l->unlock();
    CHECK_FALSE(l->locked());
    l->lock();  // uncontended: does not park
    CHECK(l->locked());
    l->unlock();
  });
}

TEST_CASE_TEMPLATE("lock-like: mutual exclusion across parking critical sections", L, Lock,
                   Semaphore, BoundedSemaphore) {
  Recorder rec;
  run_virtual([&] {
    auto l = make_lock<L>();
    int inside = 0, max_inside = 0;
    rec.start();
    task_group([&](TaskGroup& tg) {
      for (int i = 0; i < 4; ++i) {
        tg.spawn([&, i] {
          std::lock_guard g(*l);
          max_inside = std::max(max_inside, ++inside);
          rec.at("in" + std::to_string(i));
          sleep(1s);
          yield_now();
          --inside;
        });
      }
    });
    CHECK(max_inside == 1);
  });
  CHECK(rec.str() == "in0@0ms, in1@1000ms, in2@2000ms, in3@3000ms");
}

TEST_CASE_TEMPLATE("lock-like: FIFO fairness and hand-off (no barging)", L, Lock, Semaphore,
                   BoundedSemaphore) {
  Recorder rec;
  run_virtual([&] {
    auto l = make_lock<L>();
    l->lock();
    std::vector<Task<void>> ts;
    for (const char* name : {"A", "B", "C", "D"}) {
      ts.push_back(spawn([&, name] {
        l->lock();
        rec(name);
        yield_now();
        l->unlock();
      }));
      yield_now();  // each parks in turn: A first
    }
    l->unlock();  // handed to A at once
    CHECK(l->locked());
    CHECK_FALSE(l->try_lock());  // the main fiber cannot barge in before A runs
    for (auto& t : ts) t.join();
    CHECK_FALSE(l->locked());
  });
  CHECK(rec.str() == "A, B, C, D");
}

TEST_CASE_TEMPLATE("lock-like: a waiter cancelled while queued is skipped, the lock stays usable", L,
                   Lock, Semaphore, BoundedSemaphore) {
  Recorder rec;
  run_virtual([&] {
    auto l = make_lock<L>();
    l->lock();
    auto waiter = [&](const char* name) {
      return spawn([&, name] {
        try {
          std::lock_guard g(*l);
          rec(name);
        } catch (const CancelledError&) {
          rec(std::string(name) + " cancelled");
          throw;
        }
      });
    };
    auto a = waiter("A");
    auto b = waiter("B");
    auto c = waiter("C");
    yield_now();
    a.cancel();  // the first in line: must not swallow the hand-off meant for B
    b.cancel();
    yield_now();
    l->unlock();
    c.join();
    CHECK(a.cancelled());
    CHECK(b.cancelled());
    CHECK_FALSE(l->locked());
    l->lock();  // still usable
    l->unlock();
  });
  CHECK(rec.str() == "A cancelled, B cancelled, C");
}

TEST_CASE_TEMPLATE("lock-like: cancelled after the hand-off, the waiter still owns and releases it",
                   L, Lock, Semaphore, BoundedSemaphore) {
  Recorder rec;
  run_virtual([&] {
    auto l = make_lock<L>();
    l->lock();
    auto a = spawn([&] {
      std::lock_guard g(*l);
      rec("A has it");
      sleep(1s);  // the pending cancellation is raised here; the guard releases
      rec("A not reached");
    });
    auto b = spawn([&] {
      std::lock_guard g(*l);
      rec("B has it");
    });
    yield_now();
    l->unlock();  // handed to A, which has not run yet
    a.cancel();
    b.join();
    CHECK(a.cancelled());
    CHECK_FALSE(l->locked());
  });
  CHECK(rec.str() == "A has it, B has it");
}

TEST_CASE_TEMPLATE("lock-like: a timeout while queued leaves exactly at the deadline", L, Lock,
                   Semaphore, BoundedSemaphore) {
  Recorder rec;
  run_virtual([&] {
    auto l = make_lock<L>();
    rec.start();
    auto holder = spawn([&] {
      std::lock_guard g(*l);
      sleep(5s);
    });
    yield_now();
    CHECK_THROWS_AS(timeout(2s, [&] { l->lock(); }), TimeoutError);
    rec.at("timed out");
    auto r = move_on_after(1s, [&] { std::lock_guard g(*l); });
    CHECK_FALSE(r.has_value());
    rec.at("moved on");
    auto late = spawn([&] {
      std::lock_guard g(*l);
      rec.at("late got it");
    });
    holder.join();
    late.join();
  });
  CHECK(rec.str() == "timed out@2000ms, moved on@3000ms, late got it@5000ms");
}

TEST_CASE_TEMPLATE("lock-like: std::unique_lock and std::scoped_lock", L, Lock, Semaphore,
                   BoundedSemaphore) {
  run_virtual([] {
    auto a = make_lock<L>();
    auto b = make_lock<L>();
    {
      std::unique_lock u(*a);
      CHECK(u.owns_lock());
      CHECK(a->locked());
      u.unlock();
      CHECK_FALSE(a->locked());
      CHECK(u.try_lock());
    }
    CHECK_FALSE(a->locked());
    {
      std::scoped_lock both(*a, *b);
      CHECK(a->locked());
      CHECK(b->locked());
    }
    CHECK_FALSE(a->locked());
    CHECK_FALSE(b->locked());
    // scoped_lock over two locks contended by two fibers in opposite order: no deadlock.
    int done = 0;
    auto f = [&](auto& x, auto& y) {
      for (int i = 0; i < 5; ++i) {
        std::scoped_lock g(x, y);
        sleep(1ms);
      }
      ++done;
    };
    gather([&] { f(*a, *b); }, [&] { f(*b, *a); });
    CHECK(done == 2);
  });
}

TEST_CASE_TEMPLATE("lock-like: lock() in a cancelled scope throws without taking it", L, Lock,
                   Semaphore, BoundedSemaphore) {
  run_virtual([] {
    auto l = make_lock<L>();
    CancelScope scope;
    scope.run([&] {
      scope.cancel();
      CHECK_THROWS_AS(l->lock(), CancelledError);  // the fast path is a cancellation point too
      CHECK_FALSE(l->locked());
    });
  });
}

}  // TEST_SUITE
