// Tasks: lazy spawn, results and exceptions, handles, done callbacks, never-retrieved logging.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "spindle/testing.hpp"
#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

TEST_SUITE("tasks") {

TEST_CASE("spawn is lazy: \"main start, main end, 1, 1, 2, 2\"") {
  Recorder rec;
  run_virtual([&] {
    rec.start();
    rec("main start");
    auto count = [&] {
      rec("1");
      sleep(1s);
      rec.at("2");
    };
    auto a = spawn(count);
    auto b = spawn(count);
    CHECK_FALSE(a.done());
    rec("main end");
    a.get();
    b.get();
  });
  CHECK(rec.str() == "main start, main end, 1, 1, 2@1000ms, 2@1000ms");
}

TEST_CASE("get() returns the value; result() after done returns it again") {
  run_virtual([] {
    auto t = spawn([] { return sleep(1s, 42); });
    CHECK_FALSE(t.done());
    CHECK_THROWS_AS(t.result(), InvalidStateError);
    CHECK_THROWS_AS(t.exception(), InvalidStateError);
    CHECK(t.get() == 42);
    CHECK(t.done());
    CHECK_FALSE(t.cancelled());
    CHECK(t.result() == 42);
    CHECK(t.get() == 42);  // copyable results can be read any number of times
    CHECK(t.exception() == nullptr);
  });
}

TEST_CASE("get() of a task that already finished does not park") {
  Recorder rec;
  run_virtual([&] {
    auto t = spawn([] { return 5; });
    auto other = spawn([&] { rec("other"); });
    t.join();  // t ran; "other" ran too, before main resumed
    rec("main resumed");
    CHECK(t.get() == 5);  // no park: nothing else gets to run here
    rec("after get");
    other.get();
  });
  CHECK(rec.str() == "other, main resumed, after get");
}

TEST_CASE("an exception from the task: get() rethrows it, join() does not, exception() has it") {
  run_virtual([] {
    auto t = spawn([]() -> int { throw std::runtime_error("task failed"); });
    t.join();
    CHECK(t.done());
    CHECK_FALSE(t.cancelled());
    std::exception_ptr e = t.exception();
    REQUIRE(e != nullptr);
    CHECK_THROWS_WITH_AS(std::rethrow_exception(e), "task failed", std::runtime_error);
    CHECK_THROWS_WITH_AS(t.get(), "task failed", std::runtime_error);
    CHECK_THROWS_WITH_AS(t.result(), "task failed", std::runtime_error);
  });
}

TEST_CASE("void tasks") {
  int side_effect = 0;
  run_virtual([&] {
    Task<void> t = spawn([&] {
      sleep(10ms);
      side_effect = 3;
    });
    static_assert(std::is_same_v<decltype(t.get()), void>);
    t.get();
    CHECK(side_effect == 3);
    t.result();
    CHECK(t.exception() == nullptr);
  });
}

TEST_CASE("move-only results: the first get() moves the value out, a second throws") {
  run_virtual([] {
    auto t = spawn([] { return std::make_unique<int>(9); });
    std::unique_ptr<int> p = t.get();
    REQUIRE(p);
    CHECK(*p == 9);
    CHECK_THROWS_AS(t.get(), InvalidStateError);
    CHECK_THROWS_AS(t.result(), InvalidStateError);

    auto u = spawn([] { return std::make_unique<int>(10); });
    u.join();
    CHECK(*u.result() == 10);  // result() takes it just as well
    CHECK_THROWS_AS(u.get(), InvalidStateError);
  });
}

TEST_CASE("a task waiting for itself: std::logic_error") {
  run_virtual([] {
    Task<int> self;
    self = spawn([&]() -> int {
      CHECK_THROWS_AS(self.get(), std::logic_error);
      CHECK_THROWS_AS(self.join(), std::logic_error);
      CHECK_THROWS_AS(current_task().join(), std::logic_error);
      return 1;
    });
    CHECK(self.get() == 1);
    CHECK_THROWS_AS(current_task().join(), std::logic_error);  // main, too
  });
}

TEST_CASE("names and ids") {
  run_virtual([] {
    CHECK(current_task().name() == "main");
    auto a = spawn([] {});
    auto b = spawn(SpawnOptions{.name = "worker"}, [] { return current_task().name(); });
    CHECK(a.name() == "Task-" + std::to_string(a.id()));
    CHECK(b.name() == "worker");
    CHECK(b.id() == a.id() + 1);
    CHECK(a.id() > current_task().id());
    b.set_name("renamed");  // before it runs: the task sees its new name
    CHECK(b.name() == "renamed");
    CHECK(b.get() == "renamed");
    a.get();
    CHECK(current_task() == current_task());
    CHECK_FALSE(TaskRef(a) == TaskRef(b));
  });
}

TEST_CASE("current_task() inside a task is that task") {
  run_virtual([] {
    Task<std::uint64_t> t = spawn([] { return current_task().id(); });
    CHECK(t.get() == t.id());
  });
}

TEST_CASE("handles: copies share the task; a default handle is empty") {
  run_virtual([] {
    Task<int> empty;
    CHECK_FALSE(empty.valid());
    CHECK_THROWS_AS(empty.done(), InvalidStateError);
    CHECK_THROWS_AS(empty.get(), InvalidStateError);
    auto t = spawn([] { return 3; });
    Task<int> copy = t;
    CHECK(copy.valid());
    CHECK(copy.id() == t.id());
    CHECK(copy.get() == 3);
    CHECK(t.done());
    TaskRef ref = t;
    CHECK(ref.done());
    CHECK(ref.name() == t.name());
  });
}

TEST_CASE("a task outlives its handles and still runs to completion") {
  int ran = 0;
  run_virtual([&] {
    spawn([&] {
      sleep(1s);
      ran = 1;
    });  // handle dropped at once
    sleep(2s);
  });
  CHECK(ran == 1);
}

TEST_CASE("add_done_callback runs via call_soon after completion, with the task") {
  Recorder rec;
  run_virtual([&] {
    auto t = spawn([] { return sleep(1s, 5); });
    t.add_done_callback([&](const Task<int>& done) {
      CHECK(done.done());
      rec("typed callback: " + std::to_string(done.result()));
    });
    TaskRef(t).add_done_callback([&](const TaskRef& done) { rec("untyped: " + done.name()); });
    t.join();
    yield_now();  // the callbacks were queued at completion
    rec("main");
    // Added after completion: still via call_soon, never synchronously.
    t.add_done_callback([&](const Task<int>&) { rec("late callback"); });
    rec("added late");
    yield_now();
    rec("end");
  });
  const std::string name_check = rec.events().at(1);
  CHECK(rec.str() == "typed callback: 5, " + name_check + ", main, added late, late callback, end");
  CHECK(name_check.rfind("untyped: Task-", 0) == 0);
}

TEST_CASE("add_done_callback on a failed task sees its exception") {
  std::string seen;
  run_virtual([&] {
    auto t = spawn([]() -> int { throw std::out_of_range("bad index"); });
    t.add_done_callback([&](const Task<int>& done) {
      try {
        std::rethrow_exception(done.exception());
      } catch (const std::out_of_range& e) {
        seen = e.what();
      }
    });
    t.join();
    yield_now();
  });
  CHECK(seen == "bad index");
}

TEST_CASE("a task's exception never retrieved is logged when its last handle goes") {
  LogCapture log;
  run_virtual([] {
    auto t = spawn(SpawnOptions{.name = "lost"}, []() -> int {
      throw std::runtime_error("nobody looked at me");
    });
    t.join();  // join() does not retrieve it
  });
  CHECK(log.count("Task exception was never retrieved") == 1);
  CHECK(log.contains("task 'lost'"));
  CHECK(log.contains("nobody looked at me"));
  CHECK(log.contains("error: "));
}

TEST_CASE("the never-retrieved log names an unnamed task by its display name, Task-<id>") {
  LogCapture log;
  std::uint64_t id = 0;
  run_virtual([&] {
    auto t = spawn([]() -> int { throw std::runtime_error("nameless"); });
    id = t.id();
    t.join();
  });
  const std::string task = "Task-" + std::to_string(id);
  CHECK(log.text() == "error: Task exception was never retrieved: task '" + task + "' (id " +
                          std::to_string(id) + "): nameless\n");
}

TEST_CASE("a retrieved exception, a cancelled task or a success: nothing is logged") {
  LogCapture log;
  run_virtual([] {
    auto got = spawn([]() -> int { throw std::runtime_error("seen by get"); });
    CHECK_THROWS(got.get());
    auto looked = spawn([]() -> int { throw std::runtime_error("seen by exception()"); });
    looked.join();
    CHECK(looked.exception() != nullptr);
    auto cancelled = spawn([] { sleep(1h); });
    yield_now();
    cancelled.cancel();
    cancelled.join();
    spawn([] { return 1; }).join();
  });
  CHECK(log.text() == "");
}

TEST_CASE("a fire-and-forget task that fails is logged once it is gone") {
  LogCapture log;
  run_virtual([&] {
    spawn(SpawnOptions{.name = "forgotten"}, [] {
      sleep(1s);
      throw std::logic_error("fire and forget");
    });
    sleep(2s);
    CHECK(log.contains("task 'forgotten'"));  // at its end: no handle left
  });
  CHECK(log.count("Task exception was never retrieved") == 1);
  CHECK(log.contains("fire and forget"));
}

TEST_CASE("100,000 concurrently parked fibers all run and finish") {
  static constexpr int kFibers = 100'000;
  run_virtual([] {
    WaitQueue gate;
    long long sum = 0;
    int finished = 0;
    std::vector<Task<void>> tasks;
    tasks.reserve(kFibers);
    for (int i = 0; i < kFibers; ++i) {
      tasks.push_back(spawn([&, i] {
        Waiter w("gate");
        gate.wait(w);
        sum += i;
        ++finished;
      }));
    }
    spindle::testing::wait_all_blocked();  // all of them start and park
    CHECK(gate.size() == std::size_t(kFibers));
    CHECK(this_loop().live_tasks() == std::size_t(kFibers) + 1);
    CHECK(finished == 0);
    gate.wake_all();
    for (auto& t : tasks) t.get();
    CHECK(finished == kFibers);
    CHECK(sum == (long long)kFibers * (kFibers - 1) / 2);
    CHECK(this_loop().live_tasks() == 1);
  });
}

TEST_CASE("100,000 sleeping fibers wake in deadline order at exact times") {
  static constexpr int kFibers = 100'000;
  run_virtual([] {
    const TimePoint t0 = now();
    std::vector<int> order;
    order.reserve(kFibers);
    bool exact = true;
    std::vector<Task<void>> tasks;
    tasks.reserve(kFibers);
    for (int i = 0; i < kFibers; ++i) {
      // Deadlines in a scrambled order: i * 7919 mod kFibers is a permutation.
      const int slot = int((long long)i * 7919 % kFibers);
      tasks.push_back(spawn([&, slot] {
        sleep(std::chrono::milliseconds(slot));
        if (now() - t0 != std::chrono::milliseconds(slot)) exact = false;
        order.push_back(slot);
      }));
    }
    for (auto& t : tasks) t.get();
    CHECK(exact);
    REQUIRE(order.size() == std::size_t(kFibers));
    bool sorted = true;
    for (int i = 0; i < kFibers; ++i) sorted = sorted && order[i] == i;
    CHECK(sorted);
    CHECK(now() - t0 == std::chrono::milliseconds(kFibers - 1));
  });
}

}  // TEST_SUITE
