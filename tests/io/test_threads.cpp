// Threads: to_thread, run_in_executor, ThreadPool, block_on. Threads meet only through
// std::latch / std::promise / mutex handshakes, never sleeps; the cases that need time use the
// loop's clock. The whole suite also runs under ThreadSanitizer (TEST_SUITE "threads").
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "io/thread_pool.hpp"
#include "../support.hpp"
#include "spindle/testing.hpp"

using namespace std::chrono_literals;
using spindle_test::Recorder;
using spindle_test::run_virtual;
using spindle_test::Stopwatch;

namespace {

// Counts arrivals across threads. wait_for(n) blocks until n have arrived; it gives up after a
// generous bound only so that a broken implementation fails the case instead of hanging the run.
class Arrivals {
 public:
  void arrive() {
    {
      std::lock_guard lock(m_);
      ++n_;
    }
    cv_.notify_all();
  }
  bool wait_for(int n) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, 30s, [&] { return n_ >= n; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_ = 0;
};

// A move-only result that counts its live instances (to see a discarded result destroyed).
struct Counted {
  static inline std::atomic<int> alive{0};
  int v;
  explicit Counted(int x) : v(x) { ++alive; }
  Counted(Counted&& o) noexcept : v(o.v) { ++alive; }
  Counted(const Counted&) = delete;
  ~Counted() { --alive; }
};

}  // namespace

TEST_SUITE("threads") {

TEST_CASE("to_thread returns f's value, computed on a worker thread") {
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id worker;
  int x = 20;
  const int r = run_virtual([&] {
    // Arguments are forwarded: f gets x itself (by reference), not a copy.
    return spindle::to_thread(
        [&](int& ref, int add) {
          worker = std::this_thread::get_id();
          ref += add;
          return ref * 2;
        },
        x, 1);
  });
  CHECK(r == 42);
  CHECK(x == 21);
  CHECK(worker != loop_thread);
}

TEST_CASE("to_thread rethrows f's exception in the fiber") {
  run_virtual([] {
    CHECK_THROWS_WITH_AS(spindle::to_thread([]() -> int { throw std::runtime_error("boom"); }),
                         "boom", std::runtime_error);
    // The fiber goes on normally afterwards.
    CHECK(spindle::to_thread([] { return 1; }) == 1);
  });
}

TEST_CASE("to_thread: void work, move-only arguments and move-only results") {
  run_virtual([] {
    std::atomic<int> calls{0};
    spindle::to_thread([&] { ++calls; });
    CHECK(calls == 1);
    auto p = spindle::to_thread([](std::unique_ptr<int> in) { return std::make_unique<int>(*in + 1); },
                                std::make_unique<int>(41));
    REQUIRE(p != nullptr);
    CHECK(*p == 42);
    Counted c = spindle::to_thread([] { return Counted(7); });
    CHECK(c.v == 7);
  });
  CHECK(Counted::alive == 0);
}

TEST_CASE("several to_thread calls in flight run in parallel") {
  // Each f returns only once all four are inside f at the same time: four workers at once.
  constexpr int kCalls = 4;
  REQUIRE(spindle::default_thread_pool().max_threads() >= kCalls);
  Arrivals inside;
  std::vector<int> all_in = run_virtual([&] {
    std::vector<spindle::Task<int>> tasks;
    for (int i = 0; i < kCalls; ++i) {
      tasks.push_back(spindle::spawn([&] {
        return spindle::to_thread([&] {
          inside.arrive();
          return inside.wait_for(kCalls) ? 1 : 0;
        });
      }));
    }
    std::vector<int> out;
    for (auto& t : tasks) out.push_back(t.get());
    return out;
  });
  CHECK(all_in == std::vector<int>{1, 1, 1, 1});
}

TEST_CASE("the default pool has min(32, hardware threads + 4) workers; ThreadPool(0) is refused") {
  const std::size_t expected = std::min<std::size_t>(32, std::thread::hardware_concurrency() + 4);
  CHECK(spindle::default_thread_pool().max_threads() == expected);
  CHECK(&spindle::default_thread_pool() == &spindle::default_thread_pool());
  CHECK_THROWS_AS(spindle::ThreadPool(0), std::invalid_argument);
}

TEST_CASE("a main fiber parked only in to_thread is not a deadlock") {
  // f blocks until a helper thread (which waits for f to be inside) releases it: for that whole
  // time the loop has nothing runnable and no timer, only the work on the thread.
  auto body = [] {
    std::latch entered(1);
    std::promise<int> release;
    std::thread helper([&] {
      entered.wait();
      release.set_value(42);
    });
    const int r = spindle::to_thread([&] {
      entered.count_down();
      return release.get_future().get();
    });
    helper.join();  // it has set the value already: this does not wait
    return r;
  };
  CHECK(spindle::run(body) == 42);
  CHECK(run_virtual(body) == 42);
}

TEST_CASE("a fiber sleeping beside to_thread keeps running while f blocks") {
  // f returns only after the ticker fiber has ticked three times, so the loop must run the
  // ticker (and its timers) while f blocks its worker.
  Recorder rec;
  spindle::run([&] {
    std::latch ticks(3);
    auto ticker = spindle::spawn([&] {
      for (int i = 0; i < 3; ++i) {
        rec("tick " + std::to_string(i));
        ticks.count_down();
        spindle::sleep(1ms);
      }
    });
    const int r = spindle::to_thread([&] {
      ticks.wait();
      return 42;
    });
    rec("to_thread " + std::to_string(r));
    ticker.get();
  });
  CHECK(rec.str() == "tick 0, tick 1, tick 2, to_thread 42");
}

TEST_CASE("under the virtual clock, time does not jump while work is on a thread") {
  // The sleeper's 1 s may only pass once the loop has nothing outstanding: the work on the thread
  // is real time, which the virtual clock cannot skip.
  Recorder rec;
  run_virtual([&] {
    rec.start();
    auto sleeper = spindle::spawn([&] {
      spindle::sleep(1s);
      rec.at("slept");
    });
    spindle::to_thread([] {});
    rec.at("to_thread done");
    sleeper.get();
  });
  CHECK(rec.str() == "to_thread done@0ms, slept@1000ms");
}

TEST_CASE("cancelling a fiber in to_thread waits for f, then throws CancelledError and discards "
          "the result") {
  Recorder rec;
  std::atomic<bool> f_finished{false};
  run_virtual([&] {
    std::latch entered(1), release(1);
    auto t = spindle::spawn([&] {
      Counted c = spindle::to_thread([&] {
        entered.count_down();
        release.wait();
        f_finished = true;
        return Counted(7);
      });
      rec("to_thread returned");  // never reached
      return c.v;
    });
    spindle::to_thread([&] { entered.wait(); });  // f is running now
    CHECK(t.cancel("stop"));
    for (int i = 0; i < 5; ++i) spindle::yield_now();
    CHECK_FALSE(t.done());  // still parked: f is still running and may use t's stack
    CHECK_FALSE(f_finished);
    release.count_down();
    try {
      t.get();
      FAIL("t.get() returned");
    } catch (const spindle::CancelledError& e) {
      CHECK(e.message() == "stop");
    }
    CHECK(f_finished);
    CHECK(t.cancelled());
    CHECK(Counted::alive == 0);  // the result was made, then discarded
  });
  CHECK(rec.size() == 0);
}

TEST_CASE("an already cancelled fiber does not run f at all") {
  std::atomic<bool> ran{false};
  run_virtual([&] {
    auto r = spindle::move_on_after(-1s, [&] { return spindle::to_thread([&] { ran = true; return 1; }); });
    CHECK_FALSE(r.has_value());
  });
  CHECK_FALSE(ran);
}

TEST_CASE("a timeout around to_thread expires on time but the fiber waits for f") {
  // Real clock: the virtual one would not jump while f runs. f is released by a loop timer at
  // 50 ms, after the 10 ms deadline has fired (timers fire in deadline order).
  spindle::run([] {
    std::latch release(1);
    std::atomic<bool> f_finished{false};
    Stopwatch sw;
    spindle::this_loop().call_later(50ms, [&] { release.count_down(); });
    bool body_went_on = false;
    CHECK_THROWS_AS(spindle::timeout(10ms,
                                     [&] {
                                       const int r = spindle::to_thread([&] {
                                         release.wait();
                                         f_finished = true;
                                         return 1;
                                       });
                                       body_went_on = true;  // never: CancelledError comes first
                                       return r;
                                     }),
                    spindle::TimeoutError);
    CHECK(f_finished);
    CHECK_FALSE(body_went_on);
    CHECK(sw.elapsed() >= 50ms);
  });
}

TEST_CASE("run() ends only after the work of a fiber in to_thread; that fiber gets "
          "CancelledError") {
  // When main returns, the leftover fibers are cancelled: `sleeper` releases f as it unwinds,
  // `worker` stays parked until f has returned.
  Recorder rec;
  std::atomic<bool> f_finished{false};
  std::latch entered(1), release(1);
  run_virtual([&] {
    spindle::spawn([&] {
      try {
        spindle::to_thread([&] {
          entered.count_down();
          release.wait();
          f_finished = true;
        });
        rec("worker: returned");
      } catch (const spindle::CancelledError&) {
        rec("worker: cancelled");
        throw;
      }
    });
    spindle::spawn([&] {
      try {
        spindle::sleep(1h);
      } catch (const spindle::CancelledError&) {
        rec("sleeper: cancelled");
        release.count_down();
        throw;
      }
    });
    spindle::to_thread([&] { entered.wait(); });
  });
  CHECK(f_finished);
  CHECK(rec.str() == "sleeper: cancelled, worker: cancelled");
}

TEST_CASE("run_in_executor on a pool of one thread runs the jobs one at a time, in order") {
  spindle::ThreadPool pool(1);
  CHECK(pool.max_threads() == 1);
  CHECK(pool.thread_count() == 0);  // threads start on demand
  std::mutex m;
  std::vector<int> order, submitted;
  std::vector<std::thread::id> threads;
  int inside = 0, most_inside = 0;
  std::latch release(1);
  run_virtual([&] {
    std::vector<spindle::Task<int>> tasks;
    for (int i = 0; i < 3; ++i) {
      tasks.push_back(spindle::spawn([&, i] {
        submitted.push_back(i);  // under a random schedule the fibers may submit in any order
        return spindle::run_in_executor(pool, [&, i] {
          {
            std::lock_guard lock(m);
            most_inside = std::max(most_inside, ++inside);
            order.push_back(i);
            threads.push_back(std::this_thread::get_id());
          }
          if (i == 0) release.wait();  // the others queue up behind it meanwhile
          std::lock_guard lock(m);
          --inside;
          return i * 10;
        });
      }));
    }
    spindle::testing::wait_all_blocked();  // all three have submitted their job and parked
    CHECK(pool.thread_count() == 1);
    release.count_down();
    for (int i = 0; i < 3; ++i) CHECK(tasks[std::size_t(i)].get() == i * 10);
  });
  CHECK(order == submitted);
  CHECK(most_inside == 1);
  REQUIRE(threads.size() == 3);
  CHECK(threads[0] == threads[1]);
  CHECK(threads[1] == threads[2]);
}

TEST_CASE("ThreadPool starts threads on demand, never more than its maximum") {
  spindle::ThreadPool pool(3);
  Arrivals inside;
  run_virtual([&] {
    // Three at once need three threads; six more at once still get only three.
    std::vector<spindle::Task<bool>> tasks;
    for (int i = 0; i < 3; ++i) {
      tasks.push_back(spindle::spawn([&] {
        return spindle::run_in_executor(pool, [&] {
          inside.arrive();
          return inside.wait_for(3);
        });
      }));
    }
    for (auto& t : tasks) CHECK(t.get());
    CHECK(pool.thread_count() == 3);
    std::atomic<int> ran{0};
    std::vector<spindle::Task<void>> more;
    for (int i = 0; i < 6; ++i) {
      more.push_back(spindle::spawn([&] { spindle::run_in_executor(pool, [&] { ++ran; }); }));
    }
    for (auto& t : more) t.get();
    CHECK(ran == 6);
    CHECK(pool.thread_count() == 3);
  });
}

TEST_CASE("run_in_executor on a boost::asio::thread_pool") {
  boost::asio::thread_pool pool(2);
  run_virtual([&] {
    CHECK(spindle::run_in_executor(pool, [](int a, int b) { return a * b; }, 6, 7) == 42);
    CHECK(spindle::run_in_executor(pool.get_executor(), [] { return std::string("ok"); }) == "ok");
    CHECK_THROWS_AS(spindle::run_in_executor(pool, []() -> int { throw std::out_of_range("x"); }),
                    std::out_of_range);
  });
  pool.join();
}

TEST_CASE("block_on from a foreign thread runs f as a fiber on the loop") {
  std::optional<int> result;
  std::string fiber_name;
  std::thread::id ran_on;
  run_virtual([&] {
    auto token = spindle::this_loop().keep_alive();  // main waits for a foreign thread
    spindle::Loop& loop = spindle::this_loop();
    spindle::Future<std::string> started;
    std::thread foreign([&] {
      result = spindle::block_on(loop, [&] {
        ran_on = std::this_thread::get_id();
        started.set_result(spindle::current_task().name());
        spindle::yield_now();  // a real fiber: it may park
        return 42;
      });
    });
    fiber_name = started.get();
    spindle::to_thread([&] { foreign.join(); });
  });
  CHECK(fiber_name == "block_on");
  CHECK(ran_on == std::this_thread::get_id());
  REQUIRE(result.has_value());
  CHECK(*result == 42);
}

TEST_CASE("block_on: exceptions, void and move-only results reach the foreign thread") {
  std::string error;
  bool void_ran = false;
  int moved = 0;
  run_virtual([&] {
    spindle::Loop& loop = spindle::this_loop();
    std::thread foreign([&] {
      try {
        spindle::block_on(loop, []() -> int { throw std::runtime_error("boom"); });
      } catch (const std::runtime_error& e) {
        error = e.what();
      }
      spindle::block_on(loop, [&] { void_ran = true; });
      auto p = spindle::block_on(loop, [](std::unique_ptr<int> in) { return in; },
                                 std::make_unique<int>(5));
      moved = *p;
    });
    // The foreign thread's join is the outstanding work that keeps the loop alive.
    spindle::to_thread([&] { foreign.join(); });
  });
  CHECK(error == "boom");
  CHECK(void_ran);
  CHECK(moved == 5);
}

TEST_CASE("block_on on the loop's own thread is a logic_error") {
  run_virtual([] {
    CHECK_THROWS_AS(spindle::block_on(spindle::this_loop(), [] { return 1; }), std::logic_error);
  });
}

TEST_CASE("block_on onto a loop that is not running or is closed is a logic_error") {
  spindle::Loop* finished = nullptr;
  run_virtual([&] { finished = &spindle::this_loop(); });
  std::string closed_error, never_run_error;
  std::thread foreign([&] {
    try {
      spindle::block_on(*finished, [] { return 1; });
    } catch (const std::logic_error& e) {
      closed_error = e.what();
    }
    try {  // this thread's own loop, never run
      spindle::block_on(spindle::Loop::for_this_thread(), [] { return 1; });
    } catch (const std::logic_error& e) {
      never_run_error = e.what();
    }
  });
  foreign.join();
  CHECK(closed_error.find("closed") != std::string::npos);
  CHECK(never_run_error.find("closed") != std::string::npos);
  CHECK_THROWS_AS(spindle::block_on(*finished, [] { return 1; }), std::logic_error);
}

TEST_CASE("block_on: when the loop ends before f finishes, the foreign thread gets "
          "CancelledError") {
  bool cancelled = false;
  std::thread foreign;
  run_virtual([&] {
    auto token = spindle::this_loop().keep_alive();
    spindle::Loop& loop = spindle::this_loop();
    spindle::Event started;
    foreign = std::thread([&] {
      try {
        spindle::block_on(loop, [&] {
          started.set();
          spindle::sleep(1h);  // run() ends first and cancels it
        });
      } catch (const spindle::CancelledError&) {
        cancelled = true;
      }
    });
    started.wait();
  });  // main returns: the block_on fiber is a leftover, cancelled and reaped
  foreign.join();
  CHECK(cancelled);
}

}  // TEST_SUITE("threads")
