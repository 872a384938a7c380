// Cancellation: Task::cancel, CancelledError, level triggering, shield, CancelScope, timeouts.
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "spindle/testing.hpp"
#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("cancellation") {

TEST_CASE("CancelledError is not a std::exception") {
  static_assert(!std::is_base_of_v<std::exception, CancelledError>);
  static_assert(std::is_base_of_v<std::runtime_error, TimeoutError>);
  Recorder rec;
  run_virtual([&] {
    auto t = spawn([&] {
      try {
        sleep(1h);
      } catch (const std::exception&) {
        rec("swallowed by catch(std::exception)");
      }
      rec("not reached");
    });
    yield_now();
    t.cancel();
    t.join();
    CHECK(t.cancelled());
  });
  CHECK(rec.str() == "");
}

TEST_CASE("Task::cancel(msg): the task gets CancelledError with the message") {
  Recorder rec;
  run_virtual([&] {
    rec.start();
    auto t = spawn([&] {
      try {
        sleep(1h);
      } catch (const CancelledError& e) {
        rec.at("child caught: " + e.message());
        throw;
      }
    });
    sleep(5s);
    CHECK(t.cancel("stop now"));
    CHECK_FALSE(t.done());  // cancel only requests it
    try {
      t.get();
      FAIL("get() of a cancelled task must throw");
    } catch (const CancelledError& e) {
      CHECK(e.message() == "stop now");
      CHECK(std::string(e.what()) == "stop now");
    }
    CHECK(t.done());
    CHECK(t.cancelled());
    std::exception_ptr ep = t.exception();
    REQUIRE(ep != nullptr);
    try {
      std::rethrow_exception(ep);
    } catch (const CancelledError& e) {
      rec("exception() holds: " + e.message());
    }
    CHECK_FALSE(t.cancel());  // already done
  });
  CHECK(rec.str() == "child caught: stop now@5000ms, exception() holds: stop now");
}

TEST_CASE("cancel with no message: message() is empty, what() says cancelled") {
  run_virtual([] {
    auto t = spawn([] { sleep(1s); });
    yield_now();
    t.cancel();
    try {
      t.get();
    } catch (const CancelledError& e) {
      CHECK(e.message().empty());
      CHECK(std::string(e.what()) == "cancelled");
    }
    CHECK(t.cancelled());
  });
}

TEST_CASE("a cancel the task never reaches a cancellation point for leaves it finished normally") {
  run_virtual([] {
    auto t = spawn([] { return 5; });
    CHECK(t.cancel("too late"));  // requested before it ever ran
    CHECK(t.get() == 5);
    CHECK_FALSE(t.cancelled());
  });
}

TEST_CASE("a task cancelled before it starts throws at its first cancellation point") {
  Recorder rec;
  run_virtual([&] {
    auto t = spawn([&] {
      rec("started");
      yield_now();
      rec("not reached");
    });
    t.cancel("early");
    t.join();
    CHECK(t.cancelled());
  });
  CHECK(rec.str() == "started");
}

TEST_CASE("level-triggered: a fiber that catches CancelledError and parks again gets it again") {
  Recorder rec;
  run_virtual([&] {
    rec.start();
    auto t = spawn([&] {
      for (int i = 0; i < 3; ++i) {
        try {
          sleep(1h);
          rec.at("slept");
        } catch (const CancelledError& e) {
          rec.at("caught " + std::to_string(i) + ": " + e.message());
        }
      }
      yield_now();  // still cancelled: this throws, and the task ends
      rec("not reached");
    });
    sleep(1s);
    t.cancel("again and again");
    t.join();
    CHECK(t.cancelled());
  });
  CHECK(rec.str() ==
        "caught 0: again and again@1000ms, caught 1: again and again@1000ms, "
        "caught 2: again and again@1000ms");
}

TEST_CASE("raise_if_cancelled() throws in a cancelled task without parking") {
  Recorder rec;
  run_virtual([&] {
    auto t = spawn([&] {
      raise_if_cancelled();
      rec("first check passed");
      try {
        sleep(1h);
      } catch (const CancelledError&) {
        rec("cancelled while parked");
      }
      try {
        raise_if_cancelled();
      } catch (const CancelledError& e) {
        rec("raise_if_cancelled: " + e.message());
      }
    });
    spindle::testing::wait_all_blocked();  // t parked in its sleep
    t.cancel("x");
    t.get();  // the task swallowed it and returned normally
    CHECK_FALSE(t.cancelled());
  });
  CHECK(rec.str() == "first check passed, cancelled while parked, raise_if_cancelled: x");
}

TEST_CASE("cancelling a fiber parked in get()/join() does not cancel the awaited task") {
  run_virtual([] {
    auto inner = spawn([] { return sleep(2s, 11); });
    auto waiter = spawn([&] { return inner.get(); });
    sleep(1s);
    waiter.cancel();
    waiter.join();
    CHECK(waiter.cancelled());
    CHECK_FALSE(inner.done());
    CHECK(inner.get() == 11);
  });
}

TEST_CASE("shield(): the caller's cancellation waits until the shielded work is done") {
  Recorder rec;
  run_virtual([&] {
    rec.start();
    auto t = spawn([&] {
      const int v = shield([&] {
        sleep(2s);
        rec.at("shielded work done");
        return 7;
      });
      rec.at("shield returned " + std::to_string(v));
      try {
        yield_now();  // the next cancellation point raises the held-back cancellation
      } catch (const CancelledError& e) {
        rec.at("cancelled: " + e.message());
        throw;
      }
    });
    sleep(1s);
    t.cancel("held back");
    t.join();
    CHECK(t.cancelled());
  });
  CHECK(rec.str() ==
        "shielded work done@2000ms, shield returned 7@2000ms, cancelled: held back@2000ms");
}

TEST_CASE("shield() with void body and with a body that throws") {
  run_virtual([] {
    int n = 0;
    shield([&] { n = 1; });
    CHECK(n == 1);
    CHECK_THROWS_WITH_AS(shield([]() -> int { throw std::runtime_error("inside shield"); }),
                         "inside shield", std::runtime_error);
  });
}

TEST_CASE("CancelScope::run: value when not cancelled, empty when its own cancel ended it") {
  run_virtual([] {
    CancelScope plain;
    auto v = plain.run([] { return 3; });
    REQUIRE(v.has_value());
    CHECK(*v == 3);
    CHECK_FALSE(plain.cancelled_caught());
    CHECK_FALSE(plain.cancel_called());

    CancelScope s;
    bool after_cancel_point = false;
    auto r = s.run([&](CancelScope& self) {
      self.cancel("scope says stop");
      try {
        yield_now();
      } catch (const CancelledError& e) {
        CHECK(e.message() == "scope says stop");
        throw;
      }
      after_cancel_point = true;
      return 4;
    });
    CHECK_FALSE(r.has_value());
    CHECK_FALSE(after_cancel_point);
    CHECK(s.cancel_called());
    CHECK(s.cancelled_caught());
    CHECK_FALSE(s.deadline_hit());

    CancelScope void_scope;
    std::optional<std::monostate> vr = void_scope.run([] {});
    CHECK(vr.has_value());
  });
}

TEST_CASE("CancelScope: cancelled before run, the body runs until its first cancellation point") {
  Recorder rec;
  run_virtual([&] {
    CancelScope s;
    s.cancel();
    auto r = s.run([&] {
      rec("body runs");
      sleep(1s);
      rec("not reached");
    });
    CHECK_FALSE(r.has_value());
    CHECK(s.cancelled_caught());
    yield_now();  // outside the scope: no longer cancelled
    rec("after");
  });
  CHECK(rec.str() == "body runs, after");
}

TEST_CASE("CancelScope::cancel from another fiber wakes the parked body at once") {
  Recorder rec;
  run_virtual([&] {
    rec.start();
    CancelScope s;
    auto canceller = spawn([&] {
      sleep(3s);
      s.cancel();
    });
    auto r = s.run([&] { sleep(1h); });
    rec.at("scope ended");
    CHECK_FALSE(r.has_value());
    CHECK(s.cancelled_caught());
    canceller.get();
  });
  CHECK(rec.str() == "scope ended@3000ms");
}

TEST_CASE("CancelScope: an outer cancellation passes through an inner scope that did not cause it") {
  run_virtual([] {
    Stopwatch sw;
    CancelScope outer, inner;
    auto canceller = spawn([&] {
      sleep(1s);
      outer.cancel();
    });
    auto r = outer.run([&] {
      auto ir = inner.run([] { sleep(1h); });
      (void)ir;
      FAIL("the inner scope must rethrow a cancellation that is not its own");
    });
    CHECK_FALSE(r.has_value());
    CHECK(outer.cancelled_caught());
    CHECK_FALSE(inner.cancelled_caught());
    CHECK(sw.elapsed() == 1s);
    canceller.get();
  });
}

TEST_CASE("CancelScope deadline: set inside, moved later, moved earlier, removed — at once") {
  run_virtual([] {
    SUBCASE("set inside the body") {
      Stopwatch sw;
      CancelScope s;
      auto r = s.run([&](CancelScope& self) {
        self.deadline = now() + 1s;
        sleep(10s);
      });
      CHECK_FALSE(r.has_value());
      CHECK(s.deadline_hit());
      CHECK(s.cancelled_caught());
      CHECK(sw.elapsed() == 1s);
    }
    SUBCASE("moved earlier by another fiber while the body is parked") {
      Stopwatch sw;
      CancelScope s;
      s.deadline = now() + 5s;
      auto mover = spawn([&] {
        sleep(1s);
        s.deadline = now() + 1s;
      });
      auto r = s.run([] { sleep(10s); });
      CHECK_FALSE(r.has_value());
      CHECK(sw.elapsed() == 2s);
      mover.get();
    }
    SUBCASE("moved later") {
      Stopwatch sw;
      CancelScope s;
      s.deadline = now() + 1s;
      auto mover = spawn([&] {
        sleep(500ms);
        s.deadline = now() + 3s;
      });
      auto r = s.run([] { sleep(10s); });
      CHECK_FALSE(r.has_value());
      CHECK(sw.elapsed() == 3500ms);
      mover.get();
    }
    SUBCASE("moved into the past: cancelled at that moment") {
      Stopwatch sw;
      CancelScope s;
      s.deadline = now() + 5s;
      auto mover = spawn([&] {
        sleep(2s);
        s.deadline = now() - 1h;
      });
      auto r = s.run([] { sleep(10s); });
      CHECK_FALSE(r.has_value());
      CHECK(s.deadline_hit());
      CHECK(sw.elapsed() == 2s);
      mover.get();
    }
    SUBCASE("removed: the body runs to its end") {
      Stopwatch sw;
      CancelScope s;
      s.deadline = now() + 1s;
      auto mover = spawn([&] {
        sleep(500ms);
        s.deadline = std::nullopt;
      });
      auto r = s.run([] { return sleep(10s, 1); });
      REQUIRE(r.has_value());
      CHECK(*r == 1);
      CHECK_FALSE(s.deadline_hit());
      CHECK(sw.elapsed() == 10s);
      mover.get();
    }
  });
}

TEST_CASE("CancelScope shield: raised keeps an outer cancel out; lowered lets it in at once") {
  run_virtual([] {
    Stopwatch sw;
    CancelScope outer, inner;
    inner.shield = true;
    auto actor = spawn([&] {
      sleep(1s);
      outer.cancel("outer");
      sleep(1s);
      inner.shield = false;  // the parked body must get the outer cancellation now, at 2s
    });
    TimePoint cancelled_at{};
    auto r = outer.run([&] {
      inner.run([&] {
        try {
          sleep(1h);
        } catch (const CancelledError& e) {
          cancelled_at = now();
          CHECK(e.message() == "outer");
          throw;
        }
      });
    });
    CHECK_FALSE(r.has_value());
    CHECK(outer.cancelled_caught());
    CHECK_FALSE(inner.cancelled_caught());
    CHECK(cancelled_at - sw.start() == 2s);
    actor.get();
  });
}

TEST_CASE("CancelScope shield raised while an outer cancel is pending holds it back") {
  run_virtual([] {
    Stopwatch sw;
    CancelScope outer, inner;
    auto r = outer.run([&] {
      inner.run([&] {
        inner.shield = true;
        outer.cancel();
        sleep(1s);  // shielded: completes
        CHECK(sw.elapsed() == 1s);
        inner.shield = false;
        sleep(1s);  // now it is cancelled
        FAIL("not reached");
      });
    });
    CHECK_FALSE(r.has_value());
    CHECK(sw.elapsed() == 1s);
  });
}

TEST_CASE("timeout(): TimeoutError at the deadline; the body's value otherwise") {
  run_virtual([] {
    Stopwatch sw;
    CHECK_THROWS_AS(timeout(2s, [] { sleep(1h); }), TimeoutError);
    CHECK(sw.elapsed() == 2s);
    CHECK(timeout(2s, [] { return sleep(1s, 5); }) == 5);
    CHECK(sw.elapsed() == 3s);
    // TimeoutError is a std::exception, unlike the CancelledError inside.
    try {
      timeout(1s, [] { sleep(2s); });
      FAIL("no timeout");
    } catch (const std::exception& e) {
      CHECK(dynamic_cast<const TimeoutError*>(&e) != nullptr);
    }
    CHECK(sw.elapsed() == 4s);
  });
}

TEST_CASE("move_on_after(): empty optional at the deadline, the value otherwise") {
  run_virtual([] {
    Stopwatch sw;
    std::optional<int> r = move_on_after(2s, [] { return sleep(1h, 1); });
    CHECK_FALSE(r.has_value());
    CHECK(sw.elapsed() == 2s);
    r = move_on_after(2s, [] { return sleep(1s, 2); });
    REQUIRE(r.has_value());
    CHECK(*r == 2);
    auto v = move_on_after(1s, [] { sleep(5s); });
    CHECK_FALSE(v.has_value());
    CHECK(sw.elapsed() == 4s);
  });
}

TEST_CASE("nested timeouts: the outer fires first") {
  run_virtual([] {
    Stopwatch sw;
    Recorder rec;
    auto r = move_on_after(1s, [&] {
      auto inner = move_on_after(2s, [&] { sleep(10s); });
      rec("inner returned");  // must not happen: the cancellation is the outer's
      return inner.has_value();
    });
    CHECK_FALSE(r.has_value());
    CHECK(rec.str() == "");
    CHECK(sw.elapsed() == 1s);
    // The same with timeout(): TimeoutError comes from the outer call, not the inner.
    int inner_timeouts = 0;
    CHECK_THROWS_AS(timeout(1s,
                            [&] {
                              try {
                                timeout(2s, [] { sleep(10s); });
                              } catch (const TimeoutError&) {
                                ++inner_timeouts;
                              }
                            }),
                    TimeoutError);
    CHECK(inner_timeouts == 0);
    CHECK(sw.elapsed() == 2s);
  });
}

TEST_CASE("nested timeouts: the inner fires first, the outer later") {
  run_virtual([] {
    Recorder rec;
    rec.start();
    auto r = move_on_after(2s, [&] {
      auto inner = move_on_after(1s, [&] { sleep(10s); });
      rec.at(inner ? "inner finished" : "inner expired");
      sleep(10s);
      rec("not reached");
    });
    rec.at(r ? "outer finished" : "outer expired");
    CHECK(rec.str() == "inner expired@1000ms, outer expired@2000ms");
  });
}

TEST_CASE("nested timeouts with the same deadline: the outer scope catches it") {
  run_virtual([] {
    Stopwatch sw;
    const TimePoint when = now() + 1s;
    bool inner_caught = false;
    auto r = move_on_at(when, [&] {
      auto inner = move_on_at(when, [] { sleep(10s); });
      inner_caught = !inner.has_value();
    });
    CHECK_FALSE(r.has_value());
    CHECK_FALSE(inner_caught);
    CHECK(sw.elapsed() == 1s);
  });
}

TEST_CASE("deadline zero or in the past: the body runs up to its first cancellation point") {
  run_virtual([] {
    Stopwatch sw;
    Recorder rec;
    CHECK_THROWS_AS(timeout(0s,
                            [&] {
                              rec("zero: body started");
                              yield_now();
                              rec("not reached");
                            }),
                    TimeoutError);
    CHECK_THROWS_AS(timeout(-1s,
                            [&](Timeout& t) {
                              CHECK(t.expired());
                              rec("negative: body started");
                              sleep(1s);
                            }),
                    TimeoutError);
    CHECK_THROWS_AS(timeout_at(now() - 1h, [] { sleep(1s); }), TimeoutError);
    // A body that never reaches a cancellation point returns normally (Trio).
    auto v = move_on_after(0s, [] { return 8; });
    REQUIRE(v.has_value());
    CHECK(*v == 8);
    CHECK(timeout(-5s, [] { return 9; }) == 9);
    CHECK(rec.str() == "zero: body started, negative: body started");
    CHECK(sw.elapsed() == 0s);
  });
}

TEST_CASE("Timeout: when(), reschedule() later / earlier / to none, expired()") {
  run_virtual([] {
    SUBCASE("later") {
      Stopwatch sw;
      bool expired_in_handler = false;
      CHECK_THROWS_AS(timeout(1s,
                              [&](Timeout& t) {
                                CHECK(t.when() == std::optional<TimePoint>(sw.start() + 1s));
                                CHECK_FALSE(t.expired());
                                t.reschedule(now() + 3s);
                                CHECK(t.when() == std::optional<TimePoint>(sw.start() + 3s));
                                try {
                                  sleep(10s);
                                } catch (const CancelledError&) {
                                  expired_in_handler = t.expired();
                                  throw;
                                }
                              }),
                      TimeoutError);
      CHECK(expired_in_handler);
      CHECK(sw.elapsed() == 3s);
    }
    SUBCASE("earlier") {
      Stopwatch sw;
      CHECK_THROWS_AS(timeout(10s,
                              [&](Timeout& t) {
                                sleep(1s);
                                t.reschedule(now() + 500ms);
                                sleep(5s);
                              }),
                      TimeoutError);
      CHECK(sw.elapsed() == 1500ms);
    }
    SUBCASE("to none") {
      Stopwatch sw;
      const int v = timeout(1s, [&](Timeout& t) {
        t.reschedule(std::nullopt);
        CHECK_FALSE(t.when().has_value());
        return sleep(5s, 4);
      });
      CHECK(v == 4);
      CHECK(sw.elapsed() == 5s);
    }
    SUBCASE("timeout(nullopt) has no deadline until one is set") {
      Stopwatch sw;
      CHECK_THROWS_AS(timeout(std::nullopt,
                              [&](Timeout& t) {
                                CHECK_FALSE(t.when().has_value());
                                sleep(2s);
                                t.reschedule(now() + 1s);
                                sleep(1h);
                              }),
                      TimeoutError);
      CHECK(sw.elapsed() == 3s);
    }
  });
}

TEST_CASE("timeouts that never fire leave no timer behind") {
  run_virtual([] {
    const std::size_t before = this_loop().timer_count();
    for (int i = 0; i < 100; ++i) {
      CHECK(timeout(1h, [i] { return i; }) == i);
      move_on_after(1h, [] { yield_now(); });
    }
    CHECK(this_loop().timer_count() == before);
  });
}

TEST_CASE("cancelling a task parked on a WaitQueue unlinks it from the queue") {
  run_virtual([] {
    WaitQueue q;
    Recorder rec;
    auto park_on_q = [&](std::string name) {
      Waiter w("WaitQueue test");
      try {
        q.wait(w);
        rec(name + " woken");
      } catch (const CancelledError&) {
        CHECK_FALSE(w.linked());
        rec(name + " cancelled");
        throw;
      }
    };
    // One at a time, so that they park in this order under any schedule.
    auto a = spawn(park_on_q, std::string("a"));
    spindle::testing::wait_all_blocked();
    auto b = spawn(park_on_q, std::string("b"));
    spindle::testing::wait_all_blocked();
    auto c = spawn(park_on_q, std::string("c"));
    spindle::testing::wait_all_blocked();
    CHECK(q.size() == 3);
    a.cancel();
    CHECK(q.size() == 2);  // unlinked at once, not when it next runs
    CHECK(q.front()->task() == b.get_base());
    a.join();
    CHECK(a.cancelled());
    CHECK(q.wake_one());  // wakes b, not the cancelled a
    b.get();
    CHECK(q.size() == 1);
    c.cancel();
    c.join();
    CHECK(q.empty());
    CHECK_FALSE(q.wake_one());
    CHECK(rec.str() == "a cancelled, b woken, c cancelled");
  });
}

TEST_CASE("a deadline on park(): timed_out, and the waiter is unlinked") {
  run_virtual([] {
    Stopwatch sw;
    WaitQueue q;
    Waiter w("with deadline");
    CHECK(q.wait(w, now() + 2s) == WakeReason::timed_out);
    CHECK_FALSE(w.linked());
    CHECK(q.empty());
    CHECK(sw.elapsed() == 2s);
    Waiter w2("woken first");
    auto waker = spawn([&] {
      sleep(1s);
      q.wake_one();
    });
    CHECK(q.wait(w2, now() + 2s) == WakeReason::notified);
    CHECK(sw.elapsed() == 3s);
    waker.get();
    sleep(5s);  // the disarmed deadline does nothing later
    CHECK(w2.reason() == WakeReason::notified);
  });
}

}  // TEST_SUITE
