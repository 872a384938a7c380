// Semaphore and BoundedSemaphore: counting, FIFO hand-off, bad input, over-release.
#include <mutex>
#include <stdexcept>
#include <string>

#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("semaphore") {

TEST_CASE("Semaphore(-1) and BoundedSemaphore(-3) → std::invalid_argument naming the value") {
  CHECK_THROWS_WITH_PARTS(Semaphore(-1), std::invalid_argument, "Semaphore", "-1");
  CHECK_THROWS_WITH_PARTS(BoundedSemaphore(-3), std::invalid_argument, "BoundedSemaphore", "-3");
  CHECK_NOTHROW(Semaphore(0));
}

TEST_CASE("Semaphore(2): at most two holders; value() and locked()") {
  Recorder rec;
  run_virtual([&] {
    Semaphore sem(2);
    CHECK(sem.value() == 2);
    CHECK_FALSE(sem.locked());
    rec.start();
    int inside = 0, max_inside = 0;
    std::vector<Task<void>> ts;
    for (int i = 0; i < 5; ++i) {
      ts.push_back(spawn([&, i] {
        std::lock_guard g(sem);
        max_inside = std::max(max_inside, ++inside);
        std::string name = "w";  // appended: g++ 12 warns falsely (-Wrestrict) on "w" + string
        name += std::to_string(i);
        rec.at(name);
        sleep(1s);
        --inside;
      }));
    }
    yield_now();
    CHECK(sem.value() == 0);
    CHECK(sem.locked());
    CHECK(sem.waiting() == 3);
    for (auto& t : ts) t.join();
    CHECK(max_inside == 2);
    CHECK(sem.value() == 2);
  });
  CHECK(rec.str() == "w0@0ms, w1@0ms, w2@1000ms, w3@1000ms, w4@2000ms");
}

TEST_CASE("Semaphore: locked() is true while fibers queue even if a permit is being released") {
  run_virtual([] {
    Semaphore sem(0);
    CHECK(sem.locked());
    auto t = spawn([&] { sem.acquire(); });
    yield_now();
    sem.release();        // handed to t: value stays 0
    CHECK(sem.value() == 0);
    t.join();
    sem.release();        // nobody waits: the value rises, and beyond the initial one
    sem.release();
    CHECK(sem.value() == 2);
    CHECK(sem.try_acquire());
    CHECK(sem.value() == 1);
  });
}

TEST_CASE("BoundedSemaphore: releasing more than acquired → std::logic_error") {
  run_virtual([] {
    BoundedSemaphore sem(2);
    CHECK_THROWS_WITH_PARTS(sem.release(), std::logic_error, "BoundedSemaphore::release",
                            "too many", "initial value 2");
    sem.acquire();
    sem.release();
    CHECK(sem.value() == 2);
    CHECK_THROWS_AS(sem.release(), std::logic_error);
    CHECK(sem.value() == 2);
    // With a waiter the release is a hand-off, never an over-release.
    BoundedSemaphore one(1);
    one.acquire();
    auto t = spawn([&] { std::lock_guard g(one); });
    yield_now();
    one.release();
    t.join();
    CHECK(one.value() == 1);
  });
}

TEST_CASE("Semaphore released by another fiber than the acquirer (no ownership)") {
  run_virtual([] {
    Semaphore sem(0);
    Recorder rec;
    rec.start();
    auto waiter = spawn([&] {
      sem.acquire();
      rec.at("acquired");
    });
    auto releaser = spawn([&] {
      sleep(3s);
      sem.release();
    });
    waiter.join();
    releaser.join();
    CHECK(rec.str() == "acquired@3000ms");
  });
}

}  // TEST_SUITE
