// Event: set wakes every waiter, wait on a set event returns at once, clear, cancellation.
#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("event") {

TEST_CASE("Event: set() wakes every waiter, in the order they waited") {
  Recorder rec;
  run_virtual([&] {
    Event ev;
    rec.start();
    std::vector<Task<void>> ts;
    for (const char* n : {"A", "B", "C"}) {
      ts.push_back(spawn([&, n] {
        ev.wait();
        rec.at(n);
      }));
    }
    yield_now();
    CHECK(ev.waiting() == 3);
    sleep(2s);
    CHECK_FALSE(ev.is_set());
    ev.set();
    CHECK(ev.is_set());
    ev.clear();  // waiters already woken still return
    for (auto& t : ts) t.join();
    CHECK(ev.waiting() == 0);
  });
  CHECK(rec.str() == "A@2000ms, B@2000ms, C@2000ms");
}

TEST_CASE("Event: wait() on a set event returns at once; after clear() it parks again") {
  run_virtual([] {
    Event ev;
    ev.set();
    Stopwatch sw;
    ev.wait();
    CHECK(sw.elapsed() == 0s);
    ev.clear();
    this_loop().call_later(1500ms, [&] { ev.set(); });  // set from a loop callback
    ev.wait();
    CHECK(sw.elapsed() == 1500ms);
  });
}

TEST_CASE("Event: a cancelled waiter leaves; timeout on wait") {
  run_virtual([] {
    Event ev;
    auto t = spawn([&] { ev.wait(); });
    yield_now();
    t.cancel();
    t.join();
    CHECK(t.cancelled());
    CHECK(ev.waiting() == 0);
    Stopwatch sw;
    CHECK_THROWS_AS(timeout(1s, [&] { ev.wait(); }), TimeoutError);
    CHECK(sw.elapsed() == 1s);
    ev.set();
    CancelScope scope;
    scope.run([&] {
      scope.cancel();
      CHECK_THROWS_AS(ev.wait(), CancelledError);  // a cancellation point even when set
    });
  });
}

}  // TEST_SUITE
