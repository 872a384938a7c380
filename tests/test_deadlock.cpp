// Deadlock detection, keep-alive tokens, and reaping of leftover fibers at the end of run().
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {

struct Destroyed {
  int& count;
  ~Destroyed() { ++count; }
};

void park_forever(const char* what) {
  WaitQueue q;
  Waiter w(what);
  q.wait(w);
}

std::string deadlock_message(const std::function<void()>& body) {
  try {
    run_virtual(body);
  } catch (const DeadlockError& e) {
    return e.what();
  }
  FAIL("run() did not throw DeadlockError");
  return {};
}

}  // namespace

TEST_SUITE("deadlock") {

TEST_CASE("DeadlockError lists every parked fiber by name, id and what it waits on") {
  std::uint64_t main_id = 0, worker_id = 0;
  int destroyed = 0;
  Recorder rec;
  const std::string msg = deadlock_message([&] {
    main_id = current_task().id();
    auto worker = spawn(SpawnOptions{.name = "worker"}, [&] {
      Destroyed d{destroyed};
      try {
        park_forever("Lock.lock");
      } catch (const CancelledError& e) {
        rec("worker cancelled: " + e.message());
        throw;
      }
    });
    worker_id = worker.id();
    Destroyed d{destroyed};
    park_forever("Event.wait");
  });
  INFO(msg);
  CHECK(msg.find("deadlock") != std::string::npos);
  CHECK(msg.find("'main' (id " + std::to_string(main_id) + ") parked on Event.wait") !=
        std::string::npos);
  CHECK(msg.find("'worker' (id " + std::to_string(worker_id) + ") parked on Lock.lock") !=
        std::string::npos);
  CHECK(destroyed == 2);  // both fibers were cancelled and unwound before run() threw
  CHECK(rec.str() == "worker cancelled: deadlock");
}

TEST_CASE("DeadlockError is a std::runtime_error thrown from run(); the loop runs again after") {
  CHECK_THROWS_AS(run([] { park_forever("nothing"); }), DeadlockError);
  CHECK_THROWS_AS(run([] { park_forever("nothing"); }), std::runtime_error);
  CHECK(run([] { return 1; }) == 1);
}

TEST_CASE("a main fiber waiting for a task that can never finish: both are listed") {
  std::uint64_t stuck_id = 0;
  const std::string msg = deadlock_message([&] {
    auto stuck = spawn(SpawnOptions{.name = "stuck"}, [] { park_forever("Queue.get"); });
    stuck_id = stuck.id();
    stuck.get();
  });
  INFO(msg);
  CHECK(msg.find("'main' (id ") != std::string::npos);
  CHECK(msg.find(") parked on Task.join") != std::string::npos);
  CHECK(msg.find("'stuck' (id " + std::to_string(stuck_id) + ") parked on Queue.get") !=
        std::string::npos);
}

TEST_CASE("a pending timer is not a deadlock; once it has fired with no effect, it is") {
  const std::string msg = deadlock_message([] {
    this_loop().call_later(1500ms, [] {});
    park_forever("Event.wait");
  });
  INFO(msg);
  // Detected only after the timer fired, 1.5 s (virtual) after the main fiber parked.
  CHECK(msg.find("parked on Event.wait for 1.500 s") != std::string::npos);
}

TEST_CASE("a fiber that is parked while main finishes is not a deadlock") {
  int destroyed = 0;
  CHECK(run_virtual([&] {
          spawn([&] {
            Destroyed d{destroyed};
            park_forever("never woken");
          });
          yield_now();
          return 3;
        }) == 3);
  CHECK(destroyed == 1);
}

TEST_CASE("a held keep_alive token: the idle loop waits for the foreign thread") {
  // The loop releases the thread only once the main fiber is parked and the loop is idle, so the
  // cross-thread wake-up comes while nothing else could ever wake the main fiber.
  const int v = run([] {
    Loop& loop = this_loop();
    auto token = loop.keep_alive();
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    WaitQueue q;
    int value = 0;
    std::thread helper([&] {
      {
        std::unique_lock lk(m);
        cv.wait(lk, [&] { return go; });
      }
      loop.call_soon_threadsafe([&] {
        value = 99;
        q.wake_one();
      });
    });
    boost::asio::post(loop.io_context(), [&] {  // runs from the loop's reactor poll
      std::lock_guard lk(m);
      go = true;
      cv.notify_one();
    });
    Waiter w("foreign thread");
    q.wait(w);
    helper.join();
    return value;
  });
  CHECK(v == 99);
}

TEST_CASE("releasing the last keep_alive token lets the loop detect the deadlock") {
  std::optional<KeepAlive> token;
  CHECK_THROWS_AS(run([&] {
                    token.emplace(this_loop().keep_alive());
                    KeepAlive moved = std::move(*token);  // the moved-from token holds nothing
                    token.emplace(std::move(moved));
                    this_loop().call_soon([&] { token.reset(); });
                    park_forever("Event.wait");
                  }),
                  DeadlockError);
}

TEST_CASE("leftover fibers are cancelled and reaped at the end of run(); destructors run") {
  int destroyed = 0;
  Recorder rec;
  const int r = run_virtual([&] {
    auto sleeper = [&](std::string name) {
      Destroyed d{destroyed};
      try {
        sleep(1h);
      } catch (const CancelledError& e) {
        rec(name + ": " + e.message());
        throw;
      }
    };
    spawn(sleeper, std::string("sleeper"));
    spawn([&] {  // keeps yielding: run() must still regain control and cancel it
      Destroyed d{destroyed};
      for (int i = 0; i < 1'000'000; ++i) yield_now();
      rec("yielder was never cancelled");  // bounded, so a regression fails instead of hanging
    });
    spawn([&] {
      Destroyed d{destroyed};
      park_forever("queue");
    });
    yield_now();
    CHECK(this_loop().live_tasks() == 4);
    return 42;
  });
  CHECK(r == 42);
  CHECK(destroyed == 3);
  CHECK(rec.str() == "sleeper: run() is ending: leftover fiber cancelled");
}

TEST_CASE("a leftover fiber that catches the cancellation and parks again still ends") {
  int catches = 0;
  run_virtual([&] {
    spawn([&] {
      for (;;) {
        try {
          sleep(1s);
        } catch (const CancelledError&) {
          if (++catches == 5) throw;
        }
      }
    });
    yield_now();
  });
  CHECK(catches == 5);
}

TEST_CASE("a fiber spawned by a leftover fiber while it is reaped is reaped too") {
  int destroyed = 0;
  bool grandchild_cancelled = false;
  run_virtual([&] {
    spawn([&] {
      try {
        sleep(1h);
      } catch (const CancelledError&) {
        spawn([&] {
          Destroyed d{destroyed};
          try {
            sleep(1h);
          } catch (const CancelledError&) {
            grandchild_cancelled = true;
            throw;
          }
        });
        throw;
      }
    });
    yield_now();
  });
  CHECK(grandchild_cancelled);
  CHECK(destroyed == 1);
}

TEST_CASE("a leftover fiber parked inside a shield is unwound, and that is logged") {
  LogCapture log;
  int destroyed = 0;
  const int r = run_virtual([&] {
    spawn(SpawnOptions{.name = "shielded-forever"}, [&] {
      Destroyed d{destroyed};
      shield([&] {
        Destroyed inner{destroyed};
        park_forever("shielded wait");
      });
    });
    yield_now();
    return 5;
  });
  CHECK(r == 5);
  CHECK(destroyed == 2);
  CHECK(log.contains("could not be reaped"));
  CHECK(log.contains("'shielded-forever'"));
  CHECK(log.contains("parked on shielded wait"));
}

}  // TEST_SUITE

TEST_CASE("a task_group and its child stuck in shields at run end are unwound cleanly") {
  int destroyed = 0;
  LogCapture log;
  run_virtual([&] {
    spawn([&] {
      Destroyed outer{destroyed};
      task_group([&](TaskGroup& tg) {
        tg.spawn([&] {
          Destroyed d{destroyed};
          shield([] { park_forever("child"); });
        });
        shield([] { park_forever("body"); });
      });
    });
    yield_now();
    yield_now();
  });
  CHECK(destroyed == 2);
  CHECK(log.text().find("could not be reaped") != std::string::npos);
}
