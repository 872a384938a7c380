// Plain loop callbacks: call_soon / call_later / call_at, TimerHandle, call_soon_threadsafe.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "scheduler/instrument.hpp"
#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("loop_callbacks") {

TEST_CASE("call_soon callbacks and fibers share one FIFO ready queue") {
  Recorder rec;
  run_virtual([&] {
    Loop& loop = this_loop();
    auto a = spawn([&] { rec("A"); });
    loop.call_soon([&] { rec("cb1"); });
    auto b = spawn([&] { rec("B"); });
    loop.call_soon([&] { rec("cb2"); });
    rec("main before yield");
    yield_now();  // everything queued before main runs first, in order
    rec("main after yield");
  });
  CHECK(rec.str() == "main before yield, A, cb1, B, cb2, main after yield");
}

TEST_CASE("a callback scheduled by a callback goes to the back of the queue") {
  Recorder rec;
  run_virtual([&] {
    Loop& loop = this_loop();
    loop.call_soon([&] {
      rec("cb1");
      this_loop().call_soon([&] { rec("cb3"); });
    });
    loop.call_soon([&] { rec("cb2"); });
    yield_now();
    rec("main1");
    yield_now();
    rec("main2");
  });
  CHECK(rec.str() == "cb1, cb2, main1, cb3, main2");
}

TEST_CASE("call_later and call_at run at their deadline, in deadline then arming order") {
  Recorder rec;
  run_virtual([&] {
    Loop& loop = this_loop();
    rec.start();
    const TimePoint t0 = now();
    auto h3 = loop.call_later(3s, [&] { rec.at("later3s"); });
    auto h1 = loop.call_later(1s, [&] { rec.at("later1s-first"); });
    auto h2 = loop.call_at(t0 + 1s, [&] { rec.at("at1s-second"); });
    auto h4 = loop.call_later(1500ms, [&] { rec.at("later1.5s"); });
    CHECK(h3.when() == std::optional<TimePoint>(t0 + 3s));
    CHECK(h1.when() == std::optional<TimePoint>(t0 + 1s));
    CHECK(h2.when() == std::optional<TimePoint>(t0 + 1s));
    CHECK(loop.timer_count() == 4);
    sleep(5s);
    CHECK(loop.timer_count() == 0);
  });
  CHECK(rec.str() == "later1s-first@1000ms, at1s-second@1000ms, later1.5s@1500ms, later3s@3000ms");
}

TEST_CASE("call_soon's handle has no deadline; a default handle is inert") {
  run_virtual([] {
    auto h = this_loop().call_soon([] {});
    CHECK_FALSE(h.when().has_value());
    CHECK_FALSE(h.cancelled());
    TimerHandle none;
    none.cancel();
    CHECK_FALSE(none.cancelled());
    CHECK_FALSE(none.when().has_value());
  });
}

TEST_CASE("call_later with a negative delay is due now; call_at in the past runs too") {
  Recorder rec;
  run_virtual([&] {
    rec.start();
    const TimePoint t0 = now();
    auto h = this_loop().call_later(-5s, [&] { rec.at("negative"); });
    CHECK(h.when() == std::optional<TimePoint>(t0));
    auto p = this_loop().call_at(t0 - 1h, [&] { rec.at("past"); });
    CHECK(p.when() == std::optional<TimePoint>(t0 - 1h));
    sleep(1s);
  });
  CHECK(rec.str() == "past@0ms, negative@0ms");  // deadline order
}

TEST_CASE("TimerHandle::cancel stops a callback that has not run and drops its captures") {
  Recorder rec;
  auto captured = std::make_shared<int>(1);
  run_virtual([&] {
    Loop& loop = this_loop();
    auto later = loop.call_later(1s, [&, captured] { rec("later"); });
    auto soon = loop.call_soon([&, captured] { rec("soon"); });
    auto kept = loop.call_later(2s, [&] { rec("kept"); });
    CHECK(captured.use_count() == 3);
    CHECK(loop.timer_count() == 2);
    TimerHandle copy = later;  // handles share the callback
    copy.cancel();
    soon.cancel();
    CHECK(later.cancelled());
    CHECK(soon.cancelled());
    CHECK_FALSE(kept.cancelled());
    CHECK(captured.use_count() == 1);  // released at cancel, not when it would have run
    CHECK(loop.timer_count() == 1);
    later.cancel();  // idempotent
    sleep(3s);
  });
  CHECK(rec.str() == "kept");
}

TEST_CASE("a callback can cancel another one due at the same instant") {
  Recorder rec;
  run_virtual([&] {
    Loop& loop = this_loop();
    TimerHandle second;
    loop.call_later(1s, [&] {
      rec("first");
      second.cancel();  // already made ready, but it must not run
    });
    second = loop.call_later(1s, [&] { rec("second"); });
    loop.call_later(1s, [&] { rec("third"); });
    sleep(2s);
  });
  CHECK(rec.str() == "first, third");
}

TEST_CASE("callbacks see the loop's time; a callback may wake a parked fiber") {
  run_virtual([] {
    const TimePoint t0 = now();
    WaitQueue q;
    TimePoint seen{};
    this_loop().call_later(250ms, [&] {
      seen = now();
      q.wake_one();
    });
    Waiter w("callback");
    CHECK(q.wait(w) == WakeReason::notified);
    CHECK(seen - t0 == 250ms);
    CHECK(now() - t0 == 250ms);
  });
}

TEST_CASE("at the end of run(): queued callbacks still run, timers not yet due are dropped") {
  auto captured = std::make_shared<int>(1);
  Recorder rec;
  run_virtual([&] {
    this_loop().call_later(1h, [&rec, captured] { rec("timer"); });
    this_loop().call_soon([&rec, captured] { rec("queued before main returned"); });
    CHECK(captured.use_count() == 3);
  });
  CHECK(rec.str() == "queued before main returned");
  CHECK(captured.use_count() == 1);  // the dropped timer released what it captured
}

TEST_CASE("an exception escaping a callback is logged, and the loop goes on") {
  LogCapture log;
  Recorder rec;
  const int r = run_virtual([&] {
    this_loop().call_soon([] { throw std::runtime_error("callback exploded"); });
    this_loop().call_soon([&] { rec("next callback ran"); });
    this_loop().call_later(1s, [] { throw std::invalid_argument("timed callback exploded"); });
    sleep(2s);
    return 7;
  });
  CHECK(r == 7);
  CHECK(rec.str() == "next callback ran");
  CHECK(log.contains("exception in loop callback: callback exploded"));
  CHECK(log.contains("exception in loop callback: timed callback exploded"));
}

namespace {
// Runs `throwing` as a loop callback in a forked child (so that a std::terminate cannot take the
// test runner down); returns how the child ended and what it logged.
ChildResult callback_in_child(void (*throwing)()) {
  return in_forked_child([throwing] {
    int ran_after = 0;
    std::string text;
    {
      LogCapture log;
      run_virtual([&] {
        this_loop().call_soon(throwing);
        this_loop().call_soon([&] { ran_after = 1; });
        sleep(1s);
      });
      text = log.text();
    }
    text += ran_after ? "[next callback ran]" : "[next callback did not run]";
    (void)!write(STDOUT_FILENO, text.data(), text.size());
  });
}
}  // namespace

TEST_CASE("a CancelledError escaping a callback is logged, not fatal") {
  auto r = callback_in_child([] { throw CancelledError("stray"); });
  INFO(r.output);
  CHECK(r.exited_with(0));
  CHECK(r.output.find("error: CancelledError escaped a loop callback") != std::string::npos);
  CHECK(r.output.find("[next callback ran]") != std::string::npos);
}

TEST_CASE("a non-std exception escaping a callback is logged, not fatal") {
  auto r = callback_in_child([] { throw 42; });
  INFO(r.output);
  CHECK(r.exited_with(0));
  CHECK(r.output.find("error: ") != std::string::npos);
  CHECK(r.output.find("[next callback ran]") != std::string::npos);
}

TEST_CASE("callbacks must not park: parking calls from a callback throw std::logic_error") {
  Recorder rec;
  run_virtual([&] {
    this_loop().call_soon([&] {
      try {
        sleep(1s);
        rec("slept");
      } catch (const std::logic_error&) {
        rec("sleep: logic_error");
      }
      try {
        yield_now();
      } catch (const std::logic_error&) {
        rec("yield_now: logic_error");
      }
      try {
        current_task();
      } catch (const std::logic_error&) {
        rec("current_task: logic_error");
      }
      CHECK(this_loop().is_running());  // the loop itself is reachable from a callback
    });
    yield_now();
  });
  CHECK(rec.str() == "sleep: logic_error, yield_now: logic_error, current_task: logic_error");
}

TEST_CASE("call_soon_threadsafe from another thread while a keep_alive token is held") {
  run([] {
    Loop& loop = this_loop();
    auto token = loop.keep_alive();
    WaitQueue q;
    int value = 0;
    std::thread::id ran_on;
    std::thread producer([&] {
      loop.call_soon_threadsafe([&] {
        value = 42;
        ran_on = std::this_thread::get_id();
        q.wake_one();
      });
    });
    Waiter w("threadsafe");
    CHECK(q.wait(w) == WakeReason::notified);
    producer.join();
    CHECK(value == 42);
    CHECK(ran_on == std::this_thread::get_id());  // run on the loop's thread
  });
}

// The loop looks at the reactor every 64 switches even when fibers never park; debug mode and an
// instrument take suspend's slow path, which once never counted switches (a yielding fiber then
// starved every cross-thread callback and I/O completion).
TEST_CASE("fibers that only yield still let cross-thread callbacks in, in every mode") {
  struct Quiet : Instrument {} quiet;
  const RunOptions modes[] = {RunOptions{}, RunOptions{.debug = true},
                              RunOptions{.instrument = &quiet}};
  for (const RunOptions& opts : modes) {
    int yields_before_it_ran = -1;
    run(opts, [&] {
      Loop& loop = this_loop();
      auto token = loop.keep_alive();
      bool ran = false;
      std::thread producer([&] { loop.call_soon_threadsafe([&] { ran = true; }); });
      producer.join();  // the callback is queued before any fiber yields
      auto other = spawn([&] {
        while (!ran) yield_now();
      });
      for (int i = 0; i < 10'000 && !ran; ++i) {
        yield_now();
        yields_before_it_ran = i + 1;
      }
      other.cancel();
    });
    CAPTURE(opts.debug);
    CHECK(yields_before_it_ran >= 1);
    CHECK(yields_before_it_ran <= 64);
  }
}

TEST_CASE("call_soon_threadsafe from several threads: all run, each thread's in order") {
  constexpr int kThreads = 4;
  constexpr int kEach = 1000;
  run([] {
    Loop& loop = this_loop();
    auto token = loop.keep_alive();
    WaitQueue q;
    int total = 0;
    std::vector<int> next(kThreads, 0);
    bool in_order = true;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          loop.call_soon_threadsafe([&, t, i] {
            if (next[t] != i) in_order = false;
            next[t] = i + 1;
            if (++total == kThreads * kEach) q.wake_one();
          });
        }
      });
    }
    Waiter w("all callbacks");
    q.wait(w);
    for (auto& th : threads) th.join();
    CHECK(total == kThreads * kEach);
    CHECK(in_order);
  });
}

TEST_CASE("the loop's state through run(); call_soon_threadsafe on a closed loop throws") {
  Loop* loop = nullptr;
  run([&] {
    loop = &this_loop();
    CHECK(loop->is_running());
    CHECK_FALSE(loop->is_closed());
    CHECK(loop->clock() == ClockKind::real);
  });
  REQUIRE(loop != nullptr);
  CHECK_FALSE(loop->is_running());
  CHECK(loop->is_closed());
  CHECK_THROWS_AS(loop->call_soon_threadsafe([] {}), std::logic_error);
  bool thrown_on_thread = false;
  std::thread([&] {
    try {
      loop->call_soon_threadsafe([] {});
    } catch (const std::logic_error&) {
      thrown_on_thread = true;
    }
  }).join();
  CHECK(thrown_on_thread);
  CHECK_THROWS_AS(loop->io_context(), std::logic_error);
}

}  // TEST_SUITE
