// Deadlines saturate in every API that takes a duration or a time point. "Forever" (max(),
// hours::max(), a duration too long for nanoseconds, +inf, TimePoint::max()) never fires: a sleep
// parks until cancelled, a timeout never expires. min(), negative durations and time points far
// in the past mean "already expired". Run under UBSan too: `now() + d` used to overflow (undefined
// behaviour) and so expire at once.
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

using namespace spindle;
using namespace spindle_test;
using std::chrono::duration;
using std::chrono::hours;
using std::chrono::nanoseconds;

namespace {

// Every way to say "forever" with a chrono duration.
template <class F>
void for_each_forever(F check) {
  check("nanoseconds::max()", nanoseconds::max());
  check("hours::max()", hours::max());
  check("hours(1'000'000'000)", hours(1'000'000'000));  // 114,000 years: beyond nanoseconds
  check("duration<double>(1e300)", duration<double>(1e300));
  check("duration<double>::infinity", duration<double>(std::numeric_limits<double>::infinity()));
}

// Every way to say "already expired" with a chrono duration.
template <class F>
void for_each_expired(F check) {
  check("nanoseconds::min()", nanoseconds::min());
  check("hours::min()", hours::min());
  check("-hours(1'000'000'000)", -hours(1'000'000'000));
  check("-1ns", -1ns);
  check("0ns", 0ns);
  check("-duration<double>::infinity", duration<double>(-std::numeric_limits<double>::infinity()));
}

// Time points that mean "already expired": the far past, the clock's epoch, just now.
template <class F>
void for_each_past(F check) {
  check("TimePoint::min()", TimePoint::min());
  check("TimePoint{}", TimePoint{});
  check("now() - 1ns", now() - 1ns);
}

// Runs `wait` in a fiber and cancels it after an hour of virtual time: a deadline that means
// "never" lets it end only that way, still running at +1h and then by CancelledError.
template <class F>
void check_parks_until_cancelled(F wait) {
  run_virtual([&] {
    const TimePoint t0 = now();
    auto waiter = spawn(wait);
    sleep(1h);
    CHECK(waiter.cancel());  // still running
    waiter.join();
    CHECK(waiter.cancelled());
    CHECK(now() - t0 == 1h);
  });
}

// With nothing else to do, a wait whose deadline is "never" is a deadlock: no timer was armed for
// it (the virtual clock would jump to it).
template <class F>
void check_deadlocks(F wait) {
  CHECK_THROWS_AS(run_virtual(wait), DeadlockError);
}

}  // namespace

TEST_SUITE("durations") {

TEST_CASE("to_duration saturates and rounds up; saturating_add clamps at the clock's ends") {
  CHECK(to_duration(hours::max()) == Duration::max());
  CHECK(to_duration(hours::min()) == Duration::min());
  CHECK(to_duration(hours(1'000'000'000)) == Duration::max());
  CHECK(to_duration(hours(2)) == 7200s);
  CHECK(to_duration(-hours(2)) == -7200s);
  CHECK(to_duration(duration<double>(1.5e-9)) == 2ns);
  CHECK(to_duration(duration<double>(-1.5e-9)) == -1ns);
  CHECK(to_duration(duration<double>(1e300)) == Duration::max());
  CHECK(to_duration(duration<double>(-std::numeric_limits<double>::infinity())) == Duration::min());
  CHECK(to_duration(duration<long long, std::pico>(1'001)) == 2ns);
  CHECK_THROWS_WITH_AS(to_duration(duration<double>(std::numeric_limits<double>::quiet_NaN())),
                       "spindle: a duration is NaN", std::invalid_argument);

  CHECK(saturating_add(TimePoint::max() - 1ns, 2ns) == TimePoint::max());
  CHECK(saturating_add(TimePoint{} + 1s, Duration::max()) == TimePoint::max());
  CHECK(saturating_add(TimePoint::min() + 1ns, -2ns) == TimePoint::min());
  CHECK(saturating_add(TimePoint{} - 1s, Duration::min()) == TimePoint::min());
  CHECK(saturating_add(TimePoint{}, 5s) == TimePoint{} + 5s);
  CHECK(saturating_add(TimePoint{}, -5s) == TimePoint{} - 5s);
}

TEST_CASE("sleep(forever) parks until cancelled; sleep(expired) only yields") {
  for_each_forever([](const std::string& name, auto d) {
    INFO(name);
    check_parks_until_cancelled([d] { sleep(d); });
    check_parks_until_cancelled([d] { sleep(d, 1); });
    check_deadlocks([d] { sleep(d); });
  });
  for_each_expired([](const std::string& name, auto d) {
    INFO(name);
    run_virtual([d] {
      const TimePoint t0 = now();
      sleep(d);
      CHECK(sleep(d, std::string("v")) == "v");
      CHECK(now() == t0);
    });
  });
}

TEST_CASE("sleep_until(TimePoint::max()) parks until cancelled; a past time point only yields") {
  check_parks_until_cancelled([] { sleep_until(TimePoint::max()); });
  check_deadlocks([] { sleep_until(TimePoint::max()); });
  run_virtual([] {
    const TimePoint t0 = now();
    for_each_past([](const std::string& name, TimePoint tp) {
      INFO(name);
      sleep_until(tp);
    });
    CHECK(now() == t0);
  });
}

TEST_CASE("a saturated deadline is later than a huge finite one, which still fires") {
  CHECK_THROWS_AS(run_virtual([] {
                    const TimePoint t0 = now();
                    auto forever = spawn([] { sleep(hours::max()); });
                    sleep(hours(1'000'000));  // 114 years: fits, so it is a real deadline
                    CHECK(now() - t0 == hours(1'000'000));
                    sleep(Duration::max());  // now() + max() would overflow: "never"
                  }),
                  DeadlockError);
}

TEST_CASE("timeout/wait_for(forever) never fire; timeout/wait_for(expired) fire at once") {
  for_each_forever([](const std::string& name, auto d) {
    INFO(name);
    run_virtual([d] {
      const TimePoint t0 = now();
      CHECK(timeout(d, [](Timeout& t) {
              CHECK(t.when() == TimePoint::max());
              sleep(2h);
              return t.expired();
            }) == false);
      CHECK(move_on_after(d, [] { return sleep(2h, 7); }) == 7);
      CHECK(wait_for(d, [] { return sleep(2h, 8); }) == 8);
      CHECK(wait_for(d, spawn([] { return sleep(2h, 9); })) == 9);
      CHECK(now() - t0 == 8h);
    });
    check_deadlocks([d] { timeout(d, [] { Event().wait(); }); });
  });
  for_each_expired([](const std::string& name, auto d) {
    INFO(name);
    run_virtual([d] {
      const TimePoint t0 = now();
      CHECK_THROWS_AS(timeout(d, [] { sleep(1s); }), TimeoutError);
      CHECK(move_on_after(d, [] { return sleep(1s, 7); }) == std::nullopt);
      CHECK_THROWS_AS(wait_for(d, [] { sleep(1s); }), TimeoutError);
      auto work = spawn([] { sleep(1s); });
      CHECK_THROWS_AS(wait_for(d, work), TimeoutError);
      CHECK(work.cancelled());
      CHECK(now() == t0);
    });
  });
}

TEST_CASE("timeout_at/move_on_at/CancelScope::deadline: max() never fires, past fires at once") {
  run_virtual([] {
    const TimePoint t0 = now();
    CHECK(timeout_at(TimePoint::max(), [] { return sleep(1h, 1); }) == 1);
    CHECK(move_on_at(TimePoint::max(), [] { return sleep(1h, 2); }) == 2);
    CancelScope scope;
    scope.deadline = TimePoint::max();
    CHECK(scope.run([] { sleep(1h); }).has_value());
    CHECK_FALSE(scope.cancel_called());
    CHECK(now() - t0 == 3h);
    for_each_past([&](const std::string& name, TimePoint tp) {
      INFO(name);
      CHECK_THROWS_AS(timeout_at(tp, [] { sleep(1s); }), TimeoutError);
      CHECK(move_on_at(tp, [] { return sleep(1s, 2); }) == std::nullopt);
      CancelScope past;
      past.deadline = tp;
      CHECK_FALSE(past.run([] { sleep(1s); }).has_value());
      CHECK(past.deadline_hit());
    });
    CHECK(now() - t0 == 3h);
  });
  check_deadlocks([] { move_on_at(TimePoint::max(), [] { Event().wait(); }); });
}

TEST_CASE("Timeout::reschedule(TimePoint::max()) never fires; a past time point fires at once") {
  run_virtual([] {
    const TimePoint t0 = now();
    timeout(1s, [](Timeout& t) {
      t.reschedule(TimePoint::max());
      sleep(2h);
      CHECK_FALSE(t.expired());
    });
    CHECK(now() - t0 == 2h);
    CHECK_THROWS_AS(timeout(1h,
                            [](Timeout& t) {
                              t.reschedule(TimePoint::min());
                              sleep(1s);
                            }),
                    TimeoutError);
    CHECK(now() - t0 == 2h);
  });
  check_deadlocks([] {
    timeout(1s, [](Timeout& t) {
      t.reschedule(TimePoint::max());
      Event().wait();
    });
  });
}

TEST_CASE("Condition::wait_for(forever) waits for the notify; expired returns pred() at once") {
  // Waits up to `d` for a notify that comes after an hour; returns what wait_for returned.
  auto wait_for_notify = [](auto d) {
    Lock lock;
    Condition cv;
    bool ready = false;
    auto notifier = spawn([&] {
      sleep(1h);
      std::lock_guard g(lock);
      ready = true;
      cv.notify_all();
    });
    std::unique_lock lk(lock);
    const bool notified = cv.wait_for(lk, d, [&] { return ready; });
    lk.unlock();
    notifier.cancel();
    notifier.join();
    return notified;
  };
  for_each_forever([&](const std::string& name, auto d) {
    INFO(name);
    run_virtual([&] {
      const TimePoint t0 = now();
      CHECK(wait_for_notify(d));
      CHECK(now() - t0 == 1h);
    });
  });
  for_each_expired([&](const std::string& name, auto d) {
    INFO(name);
    run_virtual([&] {
      const TimePoint t0 = now();
      CHECK_FALSE(wait_for_notify(d));
      CHECK(now() == t0);
    });
  });
}

TEST_CASE("wait(WaitOptions.timeout = max()) waits for the tasks; min() returns them pending") {
  run_virtual([] {
    const TimePoint t0 = now();
    std::vector<Task<void>> tasks{spawn([] { sleep(1h); })};
    auto [done, pending] = wait(tasks, {.timeout = Duration::max()});
    CHECK(done.size() == 1);
    CHECK(now() - t0 == 1h);
    for (Duration d : {Duration::min(), to_duration(hours::min()), Duration(-1h)}) {
      std::vector<Task<void>> more{spawn([] { sleep(1h); })};
      CHECK(wait(more, {.timeout = d}).pending.size() == 1);
    }
    CHECK(now() - t0 == 1h);
  });
}

TEST_CASE("as_completed(tasks, forever) yields every task; expired throws TimeoutError at once") {
  for_each_forever([](const std::string& name, auto d) {
    INFO(name);
    run_virtual([d] {
      const TimePoint t0 = now();
      std::vector<Task<int>> tasks{spawn([] { return sleep(2h, 2); }),
                                   spawn([] { return sleep(1h, 1); })};
      std::vector<int> order;
      for (const auto& t : as_completed(tasks, d)) order.push_back(t.result());
      CHECK(order == std::vector<int>{1, 2});
      CHECK(now() - t0 == 2h);
    });
  });
  for_each_expired([](const std::string& name, auto d) {
    INFO(name);
    run_virtual([d] {
      std::vector<Task<void>> tasks{spawn([] { sleep(1h); })};
      auto in_order = as_completed(tasks, d);
      CHECK_THROWS_AS(in_order.begin(), TimeoutError);
    });
  });
}

TEST_CASE("call_later(forever)/call_at(TimePoint::max()) never run; expired ones run at once") {
  for_each_forever([](const std::string& name, auto d) {
    INFO(name);
    check_deadlocks([d] {
      TimerHandle h = this_loop().call_later(d, [] { FAIL("a callback for never ran"); });
      CHECK(h.when() == TimePoint::max());
      Event().wait();
    });
  });
  check_deadlocks([] {
    TimerHandle h = this_loop().call_at(TimePoint::max(), [] { FAIL("a callback for never ran"); });
    CHECK_FALSE(h.cancelled());
    h.cancel();
    CHECK(h.cancelled());
    this_loop().call_at(TimePoint::max(), [] { FAIL("a callback for never ran"); });  // no handle
    Event().wait();
  });
  run_virtual([] {
    const TimePoint t0 = now();
    int ran = 0;
    for_each_expired([&](const char*, auto d) { this_loop().call_later(d, [&] { ++ran; }); });
    for_each_past([&](const char*, TimePoint tp) { this_loop().call_at(tp, [&] { ++ran; }); });
    sleep(0ns);
    sleep(1ns);
    CHECK(ran == 9);
    CHECK(now() - t0 == 1ns);
  });
}

TEST_CASE("RunOptions::autojump_threshold = max(): time never jumps while I/O is outstanding") {
  const RunOptions never{.clock = ClockKind::virtual_time, .autojump_threshold = Duration::max()};
  run(never, [] {
    const TimePoint t0 = now();
    auto sleeper = spawn([] { sleep(1s); });
    CHECK(to_thread([] { return 42; }) == 42);
    CHECK(now() == t0);  // the pending 1 s timer did not pull time forward
    sleeper.get();
    CHECK(now() - t0 == 1s);
  });
  const RunOptions at_once{.clock = ClockKind::virtual_time, .autojump_threshold = Duration::min()};
  run(at_once, [] {
    const TimePoint t0 = now();
    auto sleeper = spawn([] { sleep(1s); });
    CHECK(to_thread([] { return 42; }) == 42);
    sleeper.get();
    CHECK(now() - t0 == 1s);
  });
}

TEST_CASE("Server::shutdown(Duration::max()) waits for the connections; min() cancels them") {
  run(io_virtual(), [] {
    auto server = start_server("127.0.0.1", 0, [](TcpStream s) { s.write_all(s.read_line()); });
    auto client = open_connection("127.0.0.1", server.port());
    while (server.connections() == 0) sleep(1ms);
    const TimePoint t0 = now();
    auto stopping = spawn([&] { return server.shutdown(Duration::max()); });
    sleep(1h);
    client.write_all("late\n");
    CHECK(client.read_line() == "late\n");
    CHECK(stopping.get());
    CHECK(now() - t0 == 1h);
  });
  run(io_virtual(), [] {
    auto server = start_server("127.0.0.1", 0, [](TcpStream s) { s.read_line(); });
    auto client = open_connection("127.0.0.1", server.port());
    while (server.connections() == 0) sleep(1ms);
    const TimePoint t0 = now();
    CHECK_FALSE(server.shutdown(Duration::min()));
    CHECK(now() == t0);
  });
}

}  // TEST_SUITE
