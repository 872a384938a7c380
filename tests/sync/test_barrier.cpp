// Barrier: arrival indices over several rounds, abort, reset with parked fibers, cancellation.
#include <stdexcept>
#include <string>

#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("barrier") {

TEST_CASE("Barrier(0) and Barrier(-2) → std::invalid_argument naming the value") {
  CHECK_THROWS_WITH_PARTS(Barrier(0), std::invalid_argument, "Barrier", "parties", "0");
  CHECK_THROWS_WITH_PARTS(Barrier(-2), std::invalid_argument, "Barrier", "-2");
}

TEST_CASE("Barrier(3): arrival indices in arrival order, three rounds, exact release times") {
  Recorder rec;
  run_virtual([&] {
    Barrier b(3);
    CHECK(b.parties() == 3);
    rec.start();
    task_group([&](TaskGroup& tg) {
      for (int who = 0; who < 3; ++who) {
        tg.spawn([&, who] {
          for (int round = 0; round < 3; ++round) {
            sleep(std::chrono::seconds(1 + (who + round) % 3));  // arrival order rotates
            const std::size_t idx = b.wait();
            std::string line = "r";  // appended: g++ 12 warns falsely (-Wrestrict) on "r" + string
            line += std::to_string(round) + " f" + std::to_string(who) + " #" + std::to_string(idx);
            rec.at(line);
          }
        });
      }
    });
    CHECK(b.n_waiting() == 0);
    CHECK_FALSE(b.broken());
  });
  // Round 0: f0 sleeps 1 s, f1 2 s, f2 3 s → indices 0, 1, 2; all leave at 3 s, the last arrival
  // first (it does not park). Round 1 (from 3 s): f2 1 s, f0 2 s, f1 3 s. Round 2: f1, f2, f0.
  CHECK(rec.str() ==
        "r0 f2 #2@3000ms, r0 f0 #0@3000ms, r0 f1 #1@3000ms, "
        "r1 f1 #2@6000ms, r1 f2 #0@6000ms, r1 f0 #1@6000ms, "
        "r2 f0 #2@9000ms, r2 f1 #0@9000ms, r2 f2 #1@9000ms");
}

TEST_CASE("Barrier::abort: parked and later waiters get BrokenBarrierError until reset") {
  Recorder rec;
  run_virtual([&] {
    Barrier b(3);
    auto waiter = [&](const char* n) {
      return spawn([&, n] {
        try {
          b.wait();
          rec(std::string(n) + " passed");
        } catch (const BrokenBarrierError&) {
          rec(std::string(n) + " broken");
        }
      });
    };
    auto x = waiter("x");
    auto y = waiter("y");
    yield_now();
    CHECK(b.n_waiting() == 2);
    b.abort();
    CHECK(b.broken());
    x.join();
    y.join();
    CHECK_THROWS_AS(b.wait(), BrokenBarrierError);
    b.reset();
    CHECK_FALSE(b.broken());
    auto p = waiter("p");
    auto q = waiter("q");
    yield_now();  // p and q arrive first
    b.wait();     // the third: everyone passes
    p.join();
    q.join();
  });
  CHECK(rec.str() == "x broken, y broken, p passed, q passed");
}

TEST_CASE("Barrier::reset with parked fibers: they get BrokenBarrierError, the barrier is reusable") {
  Recorder rec;
  run_virtual([&] {
    Barrier b(2);
    auto t = spawn([&] {
      try {
        b.wait();
      } catch (const BrokenBarrierError& e) {
        rec(std::string("broken: ") + e.what());
      }
    });
    yield_now();
    b.reset();
    t.join();
    CHECK_FALSE(b.broken());
    CHECK(b.n_waiting() == 0);
    auto u = spawn([&] { rec("u #" + std::to_string(b.wait())); });
    yield_now();
    rec("main #" + std::to_string(b.wait()));
    u.join();
  });
  CHECK(rec.str() ==
        "broken: spindle::Barrier::wait: the barrier was reset or aborted, main #1, u #0");
}

TEST_CASE("Barrier: a cancelled waiter leaves (n_waiting drops) and does not count") {
  run_virtual([] {
    Barrier b(2);
    auto t = spawn([&] { b.wait(); });
    yield_now();
    CHECK(b.n_waiting() == 1);
    t.cancel();
    t.join();
    CHECK(t.cancelled());
    CHECK(b.n_waiting() == 0);
    Stopwatch sw;
    CHECK_THROWS_AS(timeout(1s, [&] { b.wait(); }), TimeoutError);  // alone: nobody releases it
    CHECK(sw.elapsed() == 1s);
    CHECK(b.n_waiting() == 0);
    Barrier one(1);
    CHECK(one.wait() == 0);  // a party of one never parks
  });
}

}  // TEST_SUITE
