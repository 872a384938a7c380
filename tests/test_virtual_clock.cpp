// The virtual (autojump) clock, timer ordering, negative durations, and misuse outside a loop.
#include <stdexcept>
#include <string>
#include <thread>

#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("virtual_clock") {

TEST_CASE("sleep(3600s) under the virtual clock: now() moves by exactly an hour") {
  run_virtual([] {
    CHECK(this_loop().clock() == ClockKind::virtual_time);
    const TimePoint t0 = now();
    sleep(3600s);
    CHECK(now() - t0 == 3600s);
    sleep(1ns);
    CHECK(now() - t0 == 3600s + 1ns);
    sleep_until(t0 + 7200s);
    CHECK(now() - t0 == 7200s);
    CHECK(sleep(250ms, std::string("value")) == "value");
    CHECK(now() - t0 == 7200s + 250ms);
    CHECK(this_loop().time() == now());
  });
}

TEST_CASE("virtual time does not move while any fiber can run") {
  run_virtual([] {
    const TimePoint t0 = now();
    auto busy = spawn([] {
      for (int i = 0; i < 1000; ++i) yield_now();
      return now();
    });
    auto sleeper = spawn([] {
      sleep(1s);
      return now();
    });
    CHECK(busy.get() == t0);  // a sleeper's deadline does not pull time forward meanwhile
    CHECK(sleeper.get() == t0 + 1s);
  });
}

TEST_CASE("sleepers wake in deadline order, at exact times") {
  Recorder rec;
  run_virtual([&] {
    rec.start();
    auto s = [&](std::string name, Duration d) {
      sleep(d);
      rec.at(name);
    };
    auto a = spawn(s, std::string("a"), Duration(3s));
    auto b = spawn(s, std::string("b"), Duration(1s));
    auto c = spawn(s, std::string("c"), Duration(2500ms));
    auto d = spawn(s, std::string("d"), Duration(1s + 1ns));
    a.get();
    b.get();
    c.get();
    d.get();
  });
  CHECK(rec.str() == "b@1000ms, d@1000000001ns, c@2500ms, a@3000ms");
}

TEST_CASE("timers due at the same instant run in arming order") {
  Recorder rec;
  run_virtual([&] {
    const TimePoint t = now() + 1s;
    auto s = [&](std::string name) {
      sleep_until(t);
      rec(name);
    };
    auto a = spawn(s, std::string("a"));
    auto b = spawn(s, std::string("b"));
    auto c = spawn(s, std::string("c"));
    c.get();
    a.get();
    b.get();
  });
  CHECK(rec.str() == "a, b, c");
}

TEST_CASE("everything due at one instant is made ready before any of it runs") {
  Recorder rec;
  run_virtual([&] {
    Loop& loop = this_loop();
    const TimePoint t = now() + 1s;
    loop.call_at(t, [&] { rec("cb1"); });
    auto fiber = spawn([&] {
      sleep_until(t);
      rec("fiber");
      this_loop().call_soon([&] { rec("queued by fiber"); });
      yield_now();
      rec("fiber again");
    });
    yield_now();  // the fiber arms its timer now, after cb1's
    loop.call_at(t, [&] { rec("cb2"); });
    fiber.get();
  });
  CHECK(rec.str() == "cb1, fiber, cb2, queued by fiber, fiber again");
}

TEST_CASE("negative durations behave as zero") {
  Recorder rec;
  run_virtual([&] {
    const TimePoint t0 = now();
    auto other = spawn([&] { rec("other"); });
    rec("before");
    sleep(-5s);  // a yield: the queued fiber runs first
    rec("after sleep(-5s)");
    CHECK(now() == t0);
    sleep_until(t0 - 1h);  // also a yield
    CHECK(now() == t0);
    CHECK(sleep(-1s, 3) == 3);
    CHECK_THROWS_AS(timeout(-1s, [] { sleep(1s); }), TimeoutError);
    CHECK(now() == t0);
    other.get();
  });
  CHECK(rec.str() == "before, other, after sleep(-5s)");
}

TEST_CASE("sleep(0) and sleep(negative) are cancellation points") {
  run_virtual([] {
    CancelScope s;
    s.cancel();
    CHECK_FALSE(s.run([] { sleep(0s); }).has_value());
    CancelScope s2;
    s2.cancel();
    CHECK_FALSE(s2.run([] { sleep(-1s); }).has_value());
  });
}

TEST_CASE("each run starts a fresh virtual timeline; loops can be run again and again") {
  for (int i = 0; i < 3; ++i) {
    const auto d = run_virtual([] {
      const TimePoint t0 = now();
      sleep(24h);
      return now() - t0;
    });
    CHECK(d == 24h);
  }
}

TEST_CASE("now(), this_loop(), current_task(), spawn() outside a running loop: std::logic_error") {
  CHECK_THROWS_AS(now(), std::logic_error);
  CHECK_THROWS_AS(this_loop(), std::logic_error);
  CHECK_THROWS_AS(current_task(), std::logic_error);
  CHECK_THROWS_AS(spawn([] {}), std::logic_error);
  CHECK_THROWS_AS(yield_now(), std::logic_error);
  CHECK_THROWS_AS(sleep(1s), std::logic_error);
  run_virtual([] {});
  CHECK_THROWS_AS(now(), std::logic_error);  // also after a run
}

TEST_CASE("run() inside run() on the same thread: std::logic_error; the outer run is intact") {
  const int r = run_virtual([] {
    const TimePoint t0 = now();
    CHECK_THROWS_AS(run([] { return 1; }), std::logic_error);
    CHECK_THROWS_AS(run_virtual([] { return 1; }), std::logic_error);
    auto t = spawn([] { CHECK_THROWS_AS(run([] {}), std::logic_error); });
    t.get();
    CHECK(this_loop().is_running());
    sleep(1s);
    CHECK(now() - t0 == 1s);
    return 2;
  });
  CHECK(r == 2);
}

TEST_CASE("run() on another thread while this thread's loop runs is fine") {
  const int r = run_virtual([] {
    int other = 0;
    std::thread([&] { other = run_virtual([] { return sleep(1h, 5); }); }).join();
    return other;
  });
  CHECK(r == 5);
}

TEST_CASE("parking from a loop callback: std::logic_error") {
  int caught = 0;
  run_virtual([&] {
    this_loop().call_soon([&] {
      try {
        sleep(1s);
      } catch (const std::logic_error&) {
        ++caught;
      }
      try {
        WaitQueue q;
        Waiter w("from a callback");
        q.wait(w);
      } catch (const std::logic_error&) {
        ++caught;
      }
    });
    this_loop().call_later(1s, [&] {
      try {
        yield_now();
      } catch (const std::logic_error&) {
        ++caught;
      }
    });
    sleep(2s);
  });
  CHECK(caught == 3);
}

}  // TEST_SUITE
