// Condition over a Lock: notify order, predicates, wait_for's deadline, and the re-acquire-on-
// cancel guarantee.
#include <mutex>
#include <stdexcept>

#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("condition") {

TEST_CASE("Condition: notify(1) wakes the first waiter, notify(n) the next n, notify_all the rest") {
  Recorder rec;
  run_virtual([&] {
    Lock lock;
    Condition cond;
    std::vector<Task<void>> ts;
    for (const char* n : {"A", "B", "C", "D", "E"}) {
      ts.push_back(spawn([&, n] {
        std::unique_lock lk(lock);
        cond.wait(lk);
        CHECK(lk.owns_lock());
        CHECK(lock.locked());
        rec(n);
      }));
    }
    yield_now();
    CHECK(cond.waiting() == 5);
    CHECK_FALSE(lock.locked());  // every waiter released it
    cond.notify();               // notify does not need the lock
    yield_now();
    rec("|");
    {
      std::lock_guard g(lock);
      cond.notify(2);
      rec("notified 2");
    }
    yield_now();
    rec("|");
    cond.notify_all();
    for (auto& t : ts) t.join();
  });
  CHECK(rec.str() == "A, |, notified 2, B, C, |, D, E");
}

TEST_CASE("Condition: wait(lk, pred) and wait_for(lk, d, pred) with exact virtual times") {
  run_virtual([] {
    Lock lock;
    Condition cond;
    int value = 0;
    auto producer = spawn([&] {
      for (int i = 1; i <= 3; ++i) {
        sleep(1s);
        std::lock_guard g(lock);
        value = i;
        cond.notify_all();
      }
    });
    Stopwatch sw;
    std::unique_lock lk(lock);
    cond.wait(lk, [&] { return value >= 2; });
    CHECK(sw.elapsed() == 2s);
    CHECK(lk.owns_lock());
    CHECK_FALSE(cond.wait_for(lk, 500ms, [&] { return value >= 3; }));
    CHECK(sw.elapsed() == 2500ms);
    CHECK(lk.owns_lock());
    CHECK(cond.wait_for(lk, 10s, [&] { return value >= 3; }));
    CHECK(sw.elapsed() == 3s);
    CHECK(cond.wait_for(lk, 0s, [&] { return value >= 3; }));  // already true: no wait
    lk.unlock();
    producer.join();
  });
}

TEST_CASE("Condition::wait re-acquires the lock when cancelled, even if it has to wait for it") {
  Recorder rec;
  run_virtual([&] {
    Lock lock;
    Condition cond;
    rec.start();
    auto waiter = spawn([&] {
      std::unique_lock lk(lock);
      try {
        cond.wait(lk);
      } catch (const CancelledError&) {
        rec.at(std::string("cancelled, owns=") + (lk.owns_lock() && lock.locked() ? "yes" : "no"));
        throw;
      }
    });
    yield_now();
    auto holder = spawn([&] {
      std::lock_guard g(lock);
      sleep(2s);  // holds the lock when the waiter is cancelled
    });
    yield_now();
    waiter.cancel();
    waiter.join();
    holder.join();
    CHECK(waiter.cancelled());
    CHECK_FALSE(lock.locked());  // the unique_lock released it as the waiter unwound
    CHECK(cond.waiting() == 0);
  });
  CHECK(rec.str() == "cancelled, owns=yes@2000ms");
}

TEST_CASE("Condition: a notified waiter cancelled before it runs keeps the notification") {
  Recorder rec;
  run_virtual([&] {
    Lock lock;
    Condition cond;
    auto a = spawn([&] {
      std::unique_lock lk(lock);
      cond.wait(lk);
      rec("A woke");  // notified first: wait returns normally with the lock
    });
    auto b = spawn([&] {
      std::unique_lock lk(lock);
      cond.wait(lk);
      rec("B woke");
    });
    yield_now();
    cond.notify();  // A
    a.cancel();     // too late to lose the notification: B must not be needed
    a.join();
    CHECK(cond.waiting() == 1);
    cond.notify();
    b.join();
  });
  CHECK(rec.str() == "A woke, B woke");
}

TEST_CASE("Condition::wait with a unique_lock that does not own its lock → std::logic_error") {
  run_virtual([] {
    Lock lock;
    Condition cond;
    std::unique_lock lk(lock, std::defer_lock);
    CHECK_THROWS_WITH_PARTS(cond.wait(lk), std::logic_error, "Condition::wait", "does not hold");
  });
}

}  // TEST_SUITE
