// Queue, PriorityQueue, LifoQueue specifics: ordering, the _nowait/try_ twins, move-only items,
// a producer/consumer pipeline with exact timing.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("queue") {

TEST_CASE("Queue is FIFO, LifoQueue LIFO, PriorityQueue pops the smallest (or per Compare)") {
  run_virtual([] {
    Queue<int> fifo;
    LifoQueue<int> lifo;
    PriorityQueue<int> prio;
    PriorityQueue<int, std::greater<int>> maxq;
    for (int v : {3, 1, 4, 1, 5}) {
      fifo.put(v);
      lifo.put(v);
      prio.put(v);
      maxq.put(v);
    }
    auto drain = [](auto& q) {
      std::string s;
      while (auto v = q.try_get()) s += std::to_string(*v);
      return s;
    };
    CHECK(drain(fifo) == "31415");
    CHECK(drain(lifo) == "51413");
    CHECK(drain(prio) == "11345");
    CHECK(drain(maxq) == "54311");
  });
}

TEST_CASE("PriorityQueue of pairs: (priority, payload) as in asyncio's examples") {
  run_virtual([] {
    PriorityQueue<std::pair<int, std::string>> q;
    q.put({2, "two"});  // braced initialisers work: put takes its argument by value
    q.put({0, "zero"});
    q.put({1, "one"});
    CHECK(q.get().second == "zero");
    CHECK(q.get().second == "one");
    CHECK(q.get().second == "two");
  });
}

TEST_CASE("get_nowait on an empty queue → QueueEmpty; try_get → nullopt") {
  run_virtual([] {
    Queue<int> q;
    CHECK_FALSE(q.try_get().has_value());
    CHECK_THROWS_WITH_PARTS(q.get_nowait(), QueueEmpty, "Queue::get_nowait", "empty");
    LifoQueue<int> l(1);
    l.put(1);
    CHECK_THROWS_WITH_PARTS(l.put_nowait(2), QueueFull, "LifoQueue::put_nowait", "maxsize 1");
  });
}

TEST_CASE("task_done more times than items → std::logic_error naming the queue") {
  run_virtual([] {
    PriorityQueue<int> q;
    q.put(1);
    q.get();
    q.task_done();
    CHECK_THROWS_WITH_PARTS(q.task_done(), std::logic_error, "PriorityQueue::task_done",
                            "more times than there were items");
  });
}

TEST_CASE("move-only items (std::unique_ptr) through every kind, bounded, both hand-offs") {
  run_virtual([] {
    auto check_kind = [](auto& q) {
      // Putters park on the full queue; the getter refills from them.
      auto producer = spawn([&] {
        for (int i = 0; i < 4; ++i) q.put(std::make_unique<int>(i));
      });
      int sum = 0;
      for (int i = 0; i < 4; ++i) {
        std::unique_ptr<int> p = q.get();
        REQUIRE(p);
        sum += *p;
      }
      producer.join();
      CHECK(sum == 6);
      // A parked getter receives the item straight from put.
      auto getter = spawn([&] { return *q.get(); });
      yield_now();
      q.put(std::make_unique<int>(42));
      CHECK(getter.get() == 42);
      // The try_ twins.
      CHECK(q.try_put(std::make_unique<int>(7)));
      auto got = q.try_get();
      REQUIRE(got.has_value());
      CHECK(**got == 7);
    };
    struct PtrLess {
      bool operator()(const std::unique_ptr<int>& a, const std::unique_ptr<int>& b) const {
        return *a < *b;
      }
    };
    Queue<std::unique_ptr<int>> fifo(1);
    LifoQueue<std::unique_ptr<int>> lifo(1);
    PriorityQueue<std::unique_ptr<int>, PtrLess> prio(1);
    check_kind(fifo);
    check_kind(lifo);
    check_kind(prio);
  });
}

TEST_CASE("producer/consumers pipeline through Queue(2): every item once, exact end time") {
  run_virtual([] {
    Queue<int> q(2);
    std::vector<int> seen;
    Stopwatch sw;
    task_group([&](TaskGroup& tg) {
      tg.spawn([&] {
        for (int i = 0; i < 12; ++i) q.put(i);
        q.shutdown();  // the consumers drain, then see QueueShutDown
      });
      for (int c = 0; c < 3; ++c) {
        tg.spawn([&] {
          try {
            for (;;) {
              seen.push_back(q.get());
              sleep(1s);
            }
          } catch (const QueueShutDown&) {
          }
        });
      }
    });
    CHECK(seen == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    CHECK(sw.elapsed() == 4s);  // 3 consumers, 12 items, 1 s each
  });
}

}  // TEST_SUITE
