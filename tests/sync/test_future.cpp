// Future: set from a fiber, a loop callback and another thread; errors; cancel; callbacks.
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "spindle/testing.hpp"
#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("future") {

TEST_CASE("Future set from another fiber: get() parks until then; copies share the state") {
  run_virtual([] {
    Future<std::string> fut = create_future<std::string>();
    Stopwatch sw;
    auto setter = spawn([fut] {
      sleep(2s);
      fut.set_result("666");
    });
    CHECK_FALSE(fut.done());
    const std::string& v = fut.get();
    CHECK(v == "666");
    CHECK(sw.elapsed() == 2s);
    CHECK(fut.done());
    CHECK_FALSE(fut.cancelled());
    CHECK(&fut.get() == &v);  // the same stored value, no copy
    CHECK(fut.result() == "666");
    CHECK(fut.exception() == nullptr);
    setter.join();
  });
}

TEST_CASE("Future set from a loop callback; several waiters all wake") {
  Recorder rec;
  run_virtual([&] {
    Future<int> fut;
    rec.start();
    auto w1 = spawn([&] { rec.at("w1=" + std::to_string(fut.get())); });
    auto w2 = spawn([&] { rec.at("w2=" + std::to_string(fut.get())); });
    this_loop().call_later(1s, [fut] { fut.set_result(7); });
    w1.join();
    w2.join();
  });
  // Both wake at the same instant (in either order under a random schedule).
  CHECK((rec.str() == "w1=7@1000ms, w2=7@1000ms" || rec.str() == "w2=7@1000ms, w1=7@1000ms"));
}

TEST_CASE("Future: set twice → InvalidStateError; result()/exception() before done → InvalidStateError") {
  run_virtual([] {
    Future<int> fut;
    CHECK_THROWS_WITH_PARTS(fut.result(), InvalidStateError, "Future::result", "not done");
    CHECK_THROWS_AS(fut.exception(), InvalidStateError);
    fut.set_result(1);
    CHECK_THROWS_WITH_PARTS(fut.set_result(2), InvalidStateError, "Future::set_result",
                            "already done");
    CHECK_THROWS_AS(fut.set_exception(std::make_exception_ptr(std::runtime_error("x"))),
                    InvalidStateError);
    CHECK(fut.get() == 1);
    CHECK_FALSE(fut.cancel());
    Future<int> other;
    CHECK_THROWS_AS(other.set_exception(nullptr), std::invalid_argument);
  });
}

TEST_CASE("Future::set_exception: get() and result() rethrow it") {
  run_virtual([] {
    Future<void> fut;
    auto setter = spawn([fut] {
      sleep(1s);
      fut.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
    });
    CHECK_THROWS_WITH(fut.get(), "boom");
    CHECK_THROWS_WITH(fut.result(), "boom");
    CHECK(fut.exception() != nullptr);
    setter.join();
  });
}

TEST_CASE("Future::cancel wakes every waiter with CancelledError; set after cancel → InvalidStateError") {
  Recorder rec;
  run_virtual([&] {
    Future<int> fut;
    auto waiter = [&](const char* n) {
      return spawn([&, n] {
        try {
          fut.get();
        } catch (const CancelledError& e) {
          rec(std::string(n) + ": " + e.message());
        }
      });
    };
    auto a = waiter("a");
    auto b = waiter("b");
    spindle::testing::wait_all_blocked();  // both parked in get()
    CHECK(fut.cancel("no longer needed"));
    CHECK(fut.cancelled());
    CHECK(fut.done());
    CHECK_FALSE(fut.cancel());
    a.join();
    b.join();
    CHECK_THROWS_WITH_PARTS(fut.set_result(1), InvalidStateError, "already cancelled");
    CHECK_THROWS_AS(fut.result(), CancelledError);
    CHECK(fut.exception() != nullptr);
  });
  // Both wake at the same instant (in either order under a random schedule).
  CHECK((rec.str() == "a: no longer needed, b: no longer needed" ||
         rec.str() == "b: no longer needed, a: no longer needed"));
}

TEST_CASE("Future: cancelling the waiter does not cancel the future") {
  run_virtual([] {
    Future<int> fut;
    auto t = spawn([&] { fut.get(); });
    yield_now();
    t.cancel();
    t.join();
    CHECK(t.cancelled());
    CHECK_FALSE(fut.done());
    fut.set_result(3);
    CHECK(fut.get() == 3);
  });
}

TEST_CASE("Future::add_done_callback runs via call_soon after completion (and when already done)") {
  Recorder rec;
  run_virtual([&] {
    Future<int> fut;
    fut.add_done_callback([&](const Future<int>& f) { rec("cb1 " + std::to_string(f.result())); });
    fut.set_result(5);
    rec("set");  // callbacks have not run yet
    yield_now();
    fut.add_done_callback([&](const Future<int>& f) { rec("cb2 " + std::to_string(f.result())); });
    yield_now();
  });
  CHECK(rec.str() == "set, cb1 5, cb2 5");
}

TEST_CASE("Future of a move-only type: get() gives a const reference") {
  run_virtual([] {
    Future<std::unique_ptr<int>> fut;
    fut.set_result(std::make_unique<int>(9));
    CHECK(*fut.get() == 9);
  });
}

}  // TEST_SUITE

TEST_SUITE("threads") {

TEST_CASE("Future set from another std::thread through call_soon_threadsafe") {
  for (int round = 0; round < 20; ++round) {
    int got = run([] {
      Loop& loop = this_loop();
      auto token = loop.keep_alive();  // the idle loop waits for the thread, not a deadlock
      Future<int> fut;
      std::thread t([&loop, fut] {
        loop.call_soon_threadsafe([fut] { fut.set_result(42); });
      });
      int v = fut.get();
      t.join();
      return v;
    });
    CHECK(got == 42);
  }
}

}  // TEST_SUITE

TEST_CASE("Loop::create_future<T>() makes an unset Future (asyncio's loop.create_future)") {
  run_virtual([] {
    const TimePoint t0 = now();
    auto fut = this_loop().create_future<std::string>();
    CHECK_FALSE(fut.done());
    spawn([fut] {
      sleep(std::chrono::seconds(2));
      fut.set_result("666");
    });
    CHECK(fut.get() == "666");
    CHECK(now() - t0 == std::chrono::seconds(2));
    auto v = this_loop().create_future();  // Future<void>
    v.set_result();
    v.get();
    CHECK(v.done());
  });
}
