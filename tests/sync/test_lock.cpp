// Lock specifics: misuse errors name the lock, the holder and the caller.
#include <mutex>
#include <stdexcept>

#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("lock") {

TEST_CASE("unlocking a Lock that is not held → std::logic_error naming Lock") {
  run_virtual([] {
    Lock l;
    CHECK_THROWS_WITH_PARTS(l.unlock(), std::logic_error, "Lock::unlock", "not held", "main");
  });
}

TEST_CASE("unlocking a Lock held by another fiber → std::logic_error naming both") {
  run_virtual([] {
    Lock l;
    auto holder = spawn(SpawnOptions{.name = "holder"}, [&] {
      l.lock();
      sleep(1s);
      l.unlock();
    });
    yield_now();
    CHECK(l.locked());
    CHECK_THROWS_WITH_PARTS(l.unlock(), std::logic_error, "Lock::unlock", "'holder'", "'main'");
    CHECK(l.locked());  // the failed unlock changed nothing
    holder.join();
    CHECK_FALSE(l.locked());
  });
}

TEST_CASE("Lock is not reentrant: locking it twice from one fiber → std::logic_error") {
  run_virtual([] {
    Lock l;
    std::lock_guard g(l);
    CHECK_THROWS_WITH_PARTS(l.lock(), std::logic_error, "Lock::lock", "already holds",
                            "not reentrant");
  });
}

TEST_CASE("Lock: waiting() counts the parked fibers; the holder after a hand-off may unlock") {
  run_virtual([] {
    Lock l;
    l.lock();
    auto a = spawn([&] { std::lock_guard g(l); });
    auto b = spawn([&] { std::lock_guard g(l); });
    yield_now();
    CHECK(l.waiting() == 2);
    l.unlock();
    CHECK(l.waiting() == 1);
    a.join();
    b.join();
    CHECK(l.waiting() == 0);
  });
}

TEST_CASE("Lock from a loop callback: try_lock/unlock work, lock() is refused") {
  run_virtual([] {
    Lock l;
    bool locked_in_cb = false;
    bool refused = false;
    this_loop().call_soon([&] {
      locked_in_cb = l.try_lock();
      try {
        Lock other;
        other.lock();
      } catch (const std::logic_error&) {
        refused = true;
      }
      l.unlock();
    });
    yield_now();
    CHECK(locked_in_cb);
    CHECK(refused);
    CHECK_FALSE(l.locked());
  });
}

}  // TEST_SUITE
