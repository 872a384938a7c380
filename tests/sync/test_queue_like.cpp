// The generic conformance suite for queue-like types (Trio's test_sync.py style), run over Queue,
// PriorityQueue and LifoQueue: FIFO fairness of getters and putters with hand-off, cancellation
// while queued (no lost item, no phantom insert), timeouts, task_done/join, shutdown, bounded and
// unbounded. The tests only use orders that every kind shares (one buffered item at a time, or
// items handed straight to parked getters).
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

#define QUEUE_KINDS Queue<int>, PriorityQueue<int>, LifoQueue<int>

TEST_SUITE("queue_like") {

TEST_CASE_TEMPLATE("queue-like: unbounded never parks a putter; size/empty/full/maxsize", Q,
                   QUEUE_KINDS) {
  run_virtual([] {
    Q q;
    CHECK(q.maxsize() == 0);
    CHECK(q.empty());
    for (int i = 0; i < 1000; ++i) q.put(i);
    CHECK(q.size() == 1000);
    CHECK_FALSE(q.full());
    Q negative(-5);  // maxsize <= 0 means unbounded
    CHECK(negative.maxsize() == 0);
    CHECK(negative.try_put(1));
    Q bounded(2);
    CHECK(bounded.maxsize() == 2);
    CHECK(bounded.try_put(1));
    bounded.put_nowait(2);
    CHECK(bounded.full());
    CHECK_FALSE(bounded.try_put(3));
    CHECK_THROWS_AS(bounded.put_nowait(3), QueueFull);
    CHECK(bounded.size() == 2);
  });
}

TEST_CASE_TEMPLATE("queue-like: parked getters are served in FIFO order, straight from put", Q,
                   QUEUE_KINDS) {
  Recorder rec;
  run_virtual([&] {
    Q q;
    std::vector<Task<void>> ts;
    for (const char* n : {"A", "B", "C"}) {
      ts.push_back(spawn([&, n] { rec(std::string(n) + "=" + std::to_string(q.get())); }));
    }
    yield_now();
    CHECK(q.getters_waiting() == 3);
    q.put(30);
    q.put(10);
    q.put(20);
    CHECK(q.empty());  // handed over, never buffered
    CHECK_FALSE(q.try_get().has_value());  // nobody can barge in and take A's item
    for (auto& t : ts) t.join();
  });
  CHECK(rec.str() == "A=30, B=10, C=20");
}

TEST_CASE_TEMPLATE("queue-like: parked putters are served in FIFO order when room appears", Q,
                   QUEUE_KINDS) {
  Recorder rec;
  run_virtual([&] {
    Q q(1);
    q.put(0);
    std::vector<Task<void>> ts;
    for (int i : {1, 2, 3}) {
      ts.push_back(spawn([&, i] {
        q.put(i);
        rec("put " + std::to_string(i));
      }));
    }
    yield_now();
    CHECK(q.putters_waiting() == 3);
    for (int i = 0; i < 4; ++i) {
      rec("got " + std::to_string(q.get()));
      CHECK(q.full() == (i < 3));  // each get refills from the first parked putter
      if (i < 3) CHECK_FALSE(q.try_put(99));  // nobody barges past the parked putters
      yield_now();
    }
    for (auto& t : ts) t.join();
  });
  CHECK(rec.str() == "got 0, put 1, got 1, put 2, got 2, put 3, got 3");
}

TEST_CASE_TEMPLATE("queue-like: a getter cancelled while queued loses no item", Q, QUEUE_KINDS) {
  Recorder rec;
  run_virtual([&] {
    Q q;
    auto getter = [&](const char* n) {
      return spawn([&, n] {
        try {
          rec(std::string(n) + "=" + std::to_string(q.get()));
        } catch (const CancelledError&) {
          rec(std::string(n) + " cancelled");
        }
      });
    };
    auto a = getter("A");
    auto b = getter("B");
    yield_now();
    a.cancel();
    yield_now();
    CHECK(q.getters_waiting() == 1);
    q.put(7);
    b.join();
    a.join();
    CHECK(q.empty());
    // Cancelled after the hand-off: the item is still delivered (get returns it).
    auto c = getter("C");
    yield_now();
    q.put(8);
    c.cancel();
    c.join();
  });
  CHECK(rec.str() == "A cancelled, B=7, C=8");
}

TEST_CASE_TEMPLATE("queue-like: a put cancelled while queued on a full queue inserts nothing", Q,
                   QUEUE_KINDS) {
  Recorder rec;
  run_virtual([&] {
    Q q(1);
    q.put(1);
    auto p = spawn([&] {
      try {
        q.put(2);
        rec("put 2");
      } catch (const CancelledError&) {
        rec("put 2 cancelled");
      }
    });
    auto r = spawn([&] {
      q.put(3);
      rec("put 3");
    });
    yield_now();
    p.cancel();
    p.join();
    CHECK(q.putters_waiting() == 1);
    rec("got " + std::to_string(q.get()));
    r.join();
    rec("got " + std::to_string(q.get()));
    CHECK(q.empty());
  });
  CHECK(rec.str() == "put 2 cancelled, got 1, put 3, got 3");
}

TEST_CASE_TEMPLATE("queue-like: timeouts on get and put leave at the deadline and change nothing",
                   Q, QUEUE_KINDS) {
  run_virtual([] {
    Q q(1);
    Stopwatch sw;
    CHECK_THROWS_AS(timeout(2s, [&] { q.get(); }), TimeoutError);
    CHECK(sw.elapsed() == 2s);
    CHECK(q.getters_waiting() == 0);
    q.put(5);
    CHECK_FALSE(move_on_after(1s, [&] { q.put(6); }).has_value());
    CHECK(sw.elapsed() == 3s);
    CHECK(q.size() == 1);
    CHECK(q.putters_waiting() == 0);
    CHECK(q.get() == 5);
    CHECK(q.empty());
    CancelScope scope;
    scope.run([&] {
      scope.cancel();
      CHECK_THROWS_AS(q.put(1), CancelledError);  // fast paths are cancellation points too
      CHECK(q.empty());
      q.put_nowait(1);
      CHECK_THROWS_AS(q.get(), CancelledError);
      CHECK(q.size() == 1);
    });
  });
}

TEST_CASE_TEMPLATE("queue-like: task_done and join", Q, QUEUE_KINDS) {
  Recorder rec;
  run_virtual([&] {
    Q q;
    rec.start();
    for (int i = 0; i < 3; ++i) q.put(i);
    auto worker = spawn([&] {
      for (int i = 0; i < 3; ++i) {
        q.get();
        sleep(1s);
        q.task_done();
      }
    });
    q.join();
    rec.at("joined");
    q.join();  // nothing unfinished: returns at once
    CHECK_THROWS_WITH_PARTS(q.task_done(), std::logic_error, "task_done", "more times");
    worker.join();
  });
  CHECK(rec.str() == "joined@3000ms");
}

TEST_CASE_TEMPLATE("queue-like: shutdown(false) lets getters drain, then raises QueueShutDown", Q,
                   QUEUE_KINDS) {
  Recorder rec;
  run_virtual([&] {
    Q q(2);
    q.put(4);
    q.put(4);
    auto putter = spawn([&] {
      try {
        q.put(5);
      } catch (const QueueShutDown&) {
        rec("putter: shut down");
      }
    });
    yield_now();
    q.shutdown();
    CHECK(q.is_shut_down());
    putter.join();
    CHECK_THROWS_AS(q.put(6), QueueShutDown);
    CHECK_THROWS_AS(q.try_put(6), QueueShutDown);
    rec("got " + std::to_string(q.get()));
    rec("got " + std::to_string(q.get_nowait()));
    CHECK_THROWS_AS(q.get(), QueueShutDown);
    CHECK_THROWS_AS(q.try_get(), QueueShutDown);
    // Getters parked on an empty queue are woken by the shutdown.
    Q e;
    auto getter = spawn([&] {
      try {
        e.get();
      } catch (const QueueShutDown& ex) {
        rec("getter: " + std::string(ex.what()));
      }
    });
    yield_now();
    e.shutdown();
    getter.join();
  });
  CHECK(rec.str().find("putter: shut down, got 4, got 4, getter: spindle::") == 0);
  CHECK(rec.str().find("::get: the queue is shut down") != std::string::npos);
}

TEST_CASE_TEMPLATE("queue-like: shutdown(true) drops the items, releases join and every waiter", Q,
                   QUEUE_KINDS) {
  Recorder rec;
  run_virtual([&] {
    Q q(2);
    q.put(1);
    q.put(2);
    auto joiner = spawn([&] {
      q.join();
      rec("joined");
    });
    auto putter = spawn([&] {
      try {
        q.put(3);
      } catch (const QueueShutDown&) {
        rec("putter: shut down");
      }
    });
    yield_now();
    q.shutdown(true);
    CHECK(q.empty());
    joiner.join();
    putter.join();
    CHECK_THROWS_AS(q.get(), QueueShutDown);
  });
  CHECK(rec.str() == "joined, putter: shut down");
}

}  // TEST_SUITE
