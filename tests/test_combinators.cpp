// Combinators: gather, task_group, wait, wait_for, as_completed, and the timer count they leave.
// (timeout / move_on_after / CancelScope / shield themselves are in test_cancellation.cpp.)
// Everything under the virtual clock, with exact now() differences.
#include <functional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {

// Sleeps `d`, records "<name> cancelled@<t>" if cancelled meanwhile (and rethrows).
void sleep_or_record(Recorder& rec, const std::string& name, Duration d) {
  try {
    sleep(d);
  } catch (const CancelledError&) {
    rec.at(name + " cancelled");
    throw;
  }
}

// The message of what `ep` holds (for std::exception and ExceptionGroup alike).
std::string what_of(const std::exception_ptr& ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    return e.what();
  } catch (const CancelledError&) {
    return "CancelledError";
  }
}

// An exception type unrelated to TimeoutError (which is a std::runtime_error).
struct CleanupFailed : std::logic_error {
  using std::logic_error::logic_error;
};

}  // namespace

TEST_SUITE("gather") {
  TEST_CASE("gather(f, g, h): a heterogeneous tuple in argument order, whatever the finish order") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      Stopwatch sw;
      auto [a, b, c] = gather(
          [&] {
            sleep(3s);
            rec.at("a");
            return 1;
          },
          [&] {
            sleep(1s);
            rec.at("b");
            return std::string("two");
          },
          [&] {
            sleep(2s);
            rec.at("c");
          });
      static_assert(std::is_same_v<decltype(a), int>);
      static_assert(std::is_same_v<decltype(b), std::string>);
      static_assert(std::is_same_v<decltype(c), std::monostate>);
      CHECK(a == 1);
      CHECK(b == "two");
      CHECK(rec.str() == "b@1000ms, c@2000ms, a@3000ms");
      CHECK(sw.elapsed() == 3s);
    });
  }

  TEST_CASE("gather spawns its callables in argument order") {
    run_virtual([] {
      Recorder rec;
      auto f = [&](std::string name) {
        return [&rec, name] {
          rec(name);
          yield_now();
          rec(name);
        };
      };
      gather(f("a"), f("b"), f("c"));
      CHECK(rec.str() == "a, b, c, a, b, c");
      rec.clear();
      gather(return_exceptions, f("x"), f("y"), f("z"));
      CHECK(rec.str() == "x, y, z, x, y, z");
      rec.clear();
      std::vector<std::function<void()>> fs{f("1"), f("2"), f("3")};
      gather(fs);
      CHECK(rec.str() == "1, 2, 3, 1, 2, 3");
    });
  }

  TEST_CASE("gather of existing tasks, and of tasks mixed with callables") {
    run_virtual([] {
      Stopwatch sw;
      auto t1 = spawn([] { return sleep(2s, 10); });
      auto t2 = spawn([] { return sleep(1s, 20); });
      auto [x, y, z] = gather(t1, t2, [] { return sleep(500ms, 'z'); });
      CHECK(x == 10);
      CHECK(y == 20);
      CHECK(z == 'z');
      CHECK(t1.done());
      CHECK(t2.done());
      CHECK(sw.elapsed() == 2s);
    });
  }

  TEST_CASE("gather(range): a vector in range order, from callables or from tasks") {
    run_virtual([] {
      Stopwatch sw;
      std::vector<std::function<int()>> fs;
      for (int i = 0; i < 5; ++i)
        fs.push_back([i] { return sleep(std::chrono::seconds(5 - i), i); });
      std::vector<int> r = gather(fs);
      CHECK(r == std::vector<int>{0, 1, 2, 3, 4});
      CHECK(sw.elapsed() == 5s);

      std::vector<Task<std::string>> tasks;
      for (int i = 0; i < 3; ++i) {
        tasks.push_back(
            spawn([i] { return sleep(std::chrono::seconds(3 - i), std::to_string(i)); }));
      }
      std::vector<std::string> s = gather(tasks);
      CHECK(s == std::vector<std::string>{"0", "1", "2"});
      CHECK(sw.elapsed() == 8s);
    });
  }

  TEST_CASE("gather of void children: monostate elements, all of them ran") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      auto t = gather(
          [&] {
            sleep_or_record(rec, "x", 1s);
            rec.at("x");
          },
          [&] {
            sleep_or_record(rec, "y", 2s);
            rec.at("y");
          });
      static_assert(std::is_same_v<decltype(t), std::tuple<std::monostate, std::monostate>>);
      std::vector<std::function<void()>> fs(3, [&] {
        sleep(1s);
        rec.at("v");
      });
      auto v = gather(fs);
      static_assert(std::is_same_v<decltype(v), std::vector<std::monostate>>);
      CHECK(v.size() == 3);
      CHECK(rec.str() == "x@1000ms, y@2000ms, v@3000ms, v@3000ms, v@3000ms");
    });
  }

  TEST_CASE("gather(return_exceptions, ...): Outcomes in order; a failure cancels nothing") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      auto [a, b, c] = gather(
          return_exceptions, [] { return sleep(3s, 1); },
          [] {
            sleep(1s);
            throw std::invalid_argument("b failed");
          },
          [&] {
            sleep_or_record(rec, "c", 2s);
            rec.at("c done");
          });
      rec.at("gathered");
      static_assert(std::is_same_v<decltype(a), Outcome<int>>);
      static_assert(std::is_same_v<decltype(c), Outcome<void>>);
      REQUIRE(a.has_value());
      CHECK(a.value() == 1);
      CHECK(a.error() == nullptr);
      CHECK_FALSE(b.has_value());
      REQUIRE(b.error() != nullptr);
      CHECK_THROWS_AS(b.value(), std::invalid_argument);
      CHECK(what_of(b.error()) == "b failed");
      CHECK(c.has_value());
      CHECK(rec.str() == "c done@2000ms, gathered@3000ms");

      // The range form: a vector of Outcomes.
      std::vector<std::function<int()>> fs{
          [] { return sleep(1s, 7); },
          []() -> int { throw std::out_of_range("second"); },
          [] { return sleep(2s, 9); },
      };
      auto outs = gather(return_exceptions, fs);
      REQUIRE(outs.size() == 3);
      CHECK(outs[0].value() == 7);
      CHECK(what_of(outs[1].error()) == "second");
      CHECK(outs[2].value() == 9);
      rec.at("range gathered");
      CHECK(rec.str() == "c done@2000ms, gathered@3000ms, range gathered@5000ms");
    });
  }

  TEST_CASE("gather: the first failure cancels the siblings, waits for them, then rethrows it") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      auto passed_in = spawn([&] { sleep_or_record(rec, "passed-in task", 1h); });
      try {
        gather(
            [] {
              sleep(1s);
              throw std::invalid_argument("first");
            },
            [&] {
              try {
                sleep(1h);
              } catch (const CancelledError&) {
                rec.at("slow sibling cancelled");
                shield([] { sleep(2s); });  // a cleanup that parks: gather waits for it
                rec.at("slow sibling cleaned up");
                throw;
              }
            },
            [] {
              // Fails too, but later (while being cancelled): gather still reports the first.
              try {
                sleep(1h);
              } catch (const CancelledError&) {
                throw std::out_of_range("second");
              }
            },
            passed_in);
        FAIL("gather must rethrow");
      } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()) == "first");
        rec.at("gather threw");
      }
      CHECK(passed_in.done());
      CHECK(passed_in.cancelled());  // a task the caller passed in is cancelled too
      CHECK(rec.str() ==
            "slow sibling cancelled@1000ms, passed-in task cancelled@1000ms, "
            "slow sibling cleaned up@3000ms, gather threw@3000ms");
    });
  }

  TEST_CASE("gather: a task that already failed when passed in cancels the others at once") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      auto failed = spawn([]() -> int { throw std::invalid_argument("early"); });
      failed.join();
      auto other = spawn([&] {
        sleep_or_record(rec, "other", 1h);
        return 1;
      });
      CHECK_THROWS_AS(gather(failed, other), std::invalid_argument);
      CHECK(other.cancelled());
      CHECK(rec.str() == "other cancelled@0ms");
    });
  }

  TEST_CASE("cancelling the gathering fiber cancels and reaps the children") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      auto gatherer = spawn([&] {
        try {
          gather([&] { sleep_or_record(rec, "child 1", 1h); },
                 [&] { sleep_or_record(rec, "child 2", 1h); });
        } catch (const CancelledError&) {
          rec.at("gatherer cancelled");
          throw;
        }
      });
      sleep(1s);
      gatherer.cancel();
      gatherer.join();
      CHECK(gatherer.cancelled());
      CHECK(rec.str() ==
            "child 1 cancelled@1000ms, child 2 cancelled@1000ms, gatherer cancelled@1000ms");

      // The same with return_exceptions: the caller's own cancellation still propagates.
      rec.clear();
      auto g2 = spawn([&] {
        gather(
            return_exceptions, [&] { sleep_or_record(rec, "child 3", 1h); },
            [&] { sleep_or_record(rec, "child 4", 1h); });
        rec.at("not reached");
      });
      sleep(1s);
      g2.cancel();
      g2.join();
      CHECK(g2.cancelled());
      CHECK(rec.str() == "child 3 cancelled@2000ms, child 4 cancelled@2000ms");
    });
  }

}  // TEST_SUITE gather

TEST_SUITE("task_group") {
  TEST_CASE("task_group: children from the body and from other children; waits for all of them") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      const int r = task_group([&](TaskGroup& tg) {
        tg.spawn([&] {
          sleep(1s);
          rec.at("child");
          tg.spawn([&] {
            sleep(2s);
            rec.at("grandchild");
          });
        });
        auto t = tg.spawn([&] { return sleep(500ms, 5); });
        rec.at("body done");
        return t.get() * 2;  // the body may wait for its own children
      });
      rec.at("group done");
      CHECK(r == 10);
      CHECK(rec.str() == "body done@0ms, child@1000ms, grandchild@3000ms, group done@3000ms");
    });
  }

  TEST_CASE("task_group: a failing child cancels the body and the siblings") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      try {
        task_group([&](TaskGroup& tg) {
          tg.spawn([] {
            sleep(1s);
            throw std::invalid_argument("child failed");
          });
          tg.spawn([&] { sleep_or_record(rec, "sibling", 1h); });
          sleep_or_record(rec, "body", 1h);
          rec("body not cancelled");
        });
        FAIL("task_group must throw");
      } catch (const ExceptionGroup& eg) {
        rec.at("group threw");
        REQUIRE(eg.exceptions().size() == 1);  // not the two cancellations it caused
        CHECK_THROWS_AS(std::rethrow_exception(eg.exceptions()[0]), std::invalid_argument);
        CHECK(what_of(eg.exceptions()[0]) == "child failed");
      }
      CHECK(rec.str() == "body cancelled@1000ms, sibling cancelled@1000ms, group threw@1000ms");
    });
  }

  TEST_CASE(
      "task_group: the ExceptionGroup holds every failure, none of the group's cancellations") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      try {
        task_group([&](TaskGroup& tg) {
          // a and b fail at the same instant: both were made ready before either ran.
          tg.spawn([] {
            sleep(1s);
            throw std::invalid_argument("a");
          });
          tg.spawn([] {
            sleep(1s);
            throw std::out_of_range("b");
          });
          // c turns the group's cancellation into a failure of its own: that is a failure.
          tg.spawn([] {
            try {
              sleep(1h);
            } catch (const CancelledError&) {
              throw std::runtime_error("c failed while cancelled");
            }
          });
          tg.spawn([&] { sleep_or_record(rec, "d", 1h); });  // plainly cancelled: not reported
          sleep(1h);
        });
        FAIL("task_group must throw");
      } catch (const ExceptionGroup& eg) {
        rec.at("group threw");
        std::vector<std::string> whats;
        for (const auto& e : eg.exceptions()) whats.push_back(what_of(e));
        CHECK(whats == std::vector<std::string>{"a", "b", "c failed while cancelled"});
        CHECK(std::string(eg.what()).find("3 sub-exceptions") != std::string::npos);
      }
      CHECK(rec.str() == "d cancelled@1000ms, group threw@1000ms");
    });
  }

  TEST_CASE("task_group: an exception in the body cancels the children and is in the group") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      try {
        task_group([&](TaskGroup& tg) {
          tg.spawn([&] { sleep_or_record(rec, "child", 1h); });
          tg.spawn([&] {
            try {
              sleep(1h);
            } catch (const CancelledError&) {
              shield([] { sleep(1s); });  // the group waits for this cleanup
              rec.at("slow child cleaned up");
              throw;
            }
          });
          sleep(2s);
          throw std::domain_error("body failed");
        });
        FAIL("task_group must throw");
      } catch (const ExceptionGroup& eg) {
        rec.at("group threw");
        REQUIRE(eg.exceptions().size() == 1);
        CHECK_THROWS_AS(std::rethrow_exception(eg.exceptions()[0]), std::domain_error);
      }
      CHECK(rec.str() ==
            "child cancelled@2000ms, slow child cleaned up@3000ms, group threw@3000ms");
    });
  }

  TEST_CASE("task_group: a child failing while the body has already failed: both reported") {
    run_virtual([] {
      try {
        task_group([](TaskGroup& tg) {
          tg.spawn([] {
            try {
              sleep(1h);
            } catch (const CancelledError&) {
              throw std::out_of_range("child");
            }
          });
          yield_now();  // let the child start
          throw std::invalid_argument("body");
        });
        FAIL("task_group must throw");
      } catch (const ExceptionGroup& eg) {
        std::vector<std::string> whats;
        for (const auto& e : eg.exceptions()) whats.push_back(what_of(e));
        CHECK(whats == std::vector<std::string>{"body", "child"});
      }
    });
  }

  TEST_CASE("task_group: nested groups — the inner group's ExceptionGroup nests in the outer's") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      try {
        task_group([&](TaskGroup& outer) {
          outer.spawn([&] {
            task_group([&](TaskGroup& inner) {
              inner.spawn([] {
                sleep(1s);
                throw std::invalid_argument("inner child");
              });
              inner.spawn([&] { sleep_or_record(rec, "inner sibling", 1h); });
            });
          });
          outer.spawn([&] { sleep_or_record(rec, "outer sibling", 1h); });
        });
        FAIL("task_group must throw");
      } catch (const ExceptionGroup& eg) {
        rec.at("outer threw");
        REQUIRE(eg.exceptions().size() == 1);
        try {
          std::rethrow_exception(eg.exceptions()[0]);
        } catch (const ExceptionGroup& inner) {
          REQUIRE(inner.exceptions().size() == 1);
          CHECK(what_of(inner.exceptions()[0]) == "inner child");
        } catch (...) {
          FAIL("the outer group's failure must be the inner ExceptionGroup");
        }
        // split<> sees the leaf through the nesting.
        auto [match, rest] = eg.split<std::invalid_argument>();
        CHECK(match.has_value());
        CHECK_FALSE(rest.has_value());
      }
      CHECK(rec.str() ==
            "inner sibling cancelled@1000ms, outer sibling cancelled@1000ms, outer threw@1000ms");
    });
  }

  TEST_CASE("task_group: cancelling an outer group reaches the children of an inner one") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      task_group([&](TaskGroup& outer) {
        outer.spawn([&] {
          task_group([&](TaskGroup& inner) {
            inner.spawn([&] { sleep_or_record(rec, "inner child", 1h); });
            sleep_or_record(rec, "inner body", 1h);
          });
          rec("not reached");
        });
        sleep(1s);
        outer.cancel();  // the group then ends without error
        sleep_or_record(rec, "outer body", 1h);
      });
      rec.at("outer done");
      CHECK(rec.str() ==
            "outer body cancelled@1000ms, inner body cancelled@1000ms, "
            "inner child cancelled@1000ms, outer done@1000ms");
    });
  }

  TEST_CASE("cancelling the fiber in task_group cancels the children; CancelledError propagates") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      auto t = spawn([&] {
        task_group([&](TaskGroup& tg) {
          tg.spawn([&] { sleep_or_record(rec, "child", 1h); });
          sleep_or_record(rec, "body", 1h);
        });
        rec("not reached");
      });
      sleep(2s);
      t.cancel("stop");
      t.join();
      CHECK(t.cancelled());
      CHECK(rec.str() == "body cancelled@2000ms, child cancelled@2000ms");
    });
  }

  TEST_CASE("spawning into a finished group or a group cancelling after a failure: logic_error") {
    run_virtual([] {
      SUBCASE("finished") {
        TaskGroup g;
        g.run([](TaskGroup& tg) { tg.spawn([] { sleep(1s); }); });
        CHECK_THROWS_AS(g.spawn([] {}), std::logic_error);
      }
      SUBCASE("failing: from the body and from a sibling") {
        int refused = 0;
        CHECK_THROWS_AS(task_group([&](TaskGroup& tg) {
                          tg.spawn([&] {
                            try {
                              sleep(1h);
                            } catch (const CancelledError&) {
                              try {
                                tg.spawn([] {});
                              } catch (const std::logic_error&) {
                                ++refused;
                              }
                              throw;
                            }
                          });
                          tg.spawn([] {
                            sleep(1s);
                            throw std::invalid_argument("fail");
                          });
                          try {
                            sleep(1h);
                          } catch (const CancelledError&) {
                            try {
                              tg.spawn([] {});
                            } catch (const std::logic_error& e) {
                              CHECK(std::string(e.what()).find("failure") != std::string::npos);
                              ++refused;
                            }
                            throw;
                          }
                        }),
                        ExceptionGroup);
        CHECK(refused == 2);
      }
    });
  }

}  // TEST_SUITE task_group

TEST_SUITE("wait") {
  namespace {
  // Three tasks finishing at 1 s (value 1), 2 s (value 2), 3 s (value 3), spawned in the order 3,
  // 1, 2.
  std::vector<Task<int>> three_tasks() {
    return {spawn([] { return sleep(3s, 3); }), spawn([] { return sleep(1s, 1); }),
            spawn([] { return sleep(2s, 2); })};
  }
  std::vector<int> values(const std::vector<Task<int>>& ts) {
    std::vector<int> v;
    for (const auto& t : ts) v.push_back(t.result());
    return v;
  }
  }  // namespace

  TEST_CASE("wait(all_completed): everything done, input order") {
    run_virtual([] {
      Stopwatch sw;
      auto tasks = three_tasks();
      auto [done, pending] = wait(tasks);
      CHECK(sw.elapsed() == 3s);
      CHECK(values(done) == std::vector<int>{3, 1, 2});
      CHECK(pending.empty());
    });
  }

  TEST_CASE("wait(first_completed): returns at the first completion; the rest keep running") {
    run_virtual([] {
      Stopwatch sw;
      auto tasks = three_tasks();
      auto r = wait(
          tasks, WaitOptions{.timeout = std::nullopt, .return_when = ReturnWhen::first_completed});
      CHECK(sw.elapsed() == 1s);
      CHECK(values(r.done) == std::vector<int>{1});
      REQUIRE(r.pending.size() == 2);
      CHECK(r.pending[0] == tasks[0]);  // input order
      CHECK(r.pending[1] == tasks[2]);
      CHECK(r.pending[1].get() == 2);  // not cancelled
      CHECK(sw.elapsed() == 2s);
    });
  }

  TEST_CASE("wait(first_exception): returns at the first failure, or when all are done") {
    run_virtual([] {
      Stopwatch sw;
      std::vector<Task<int>> tasks{
          spawn([] { return sleep(1s, 1); }),
          spawn([]() -> int {
            sleep(2s);
            throw std::invalid_argument("b");
          }),
          spawn([] { return sleep(3s, 3); }),
      };
      auto r = wait(
          tasks, WaitOptions{.timeout = std::nullopt, .return_when = ReturnWhen::first_exception});
      CHECK(sw.elapsed() == 2s);
      REQUIRE(r.done.size() == 2);
      CHECK(r.done[0] == tasks[0]);
      CHECK(r.done[1] == tasks[1]);
      CHECK_THROWS_AS(r.done[1].result(), std::invalid_argument);
      REQUIRE(r.pending.size() == 1);
      CHECK(r.pending[0] == tasks[2]);
      CHECK_FALSE(tasks[2].done());

      // No failure: the same as all_completed.
      auto ok = three_tasks();
      auto r2 = wait(
          ok, WaitOptions{.timeout = std::nullopt, .return_when = ReturnWhen::first_exception});
      CHECK(sw.elapsed() == 5s);
      CHECK(r2.done.size() == 3);
      CHECK(r2.pending.empty());
      CHECK(tasks[2].get() == 3);
    });
  }

  TEST_CASE("wait with a timeout: returns at the deadline; nothing is cancelled") {
    run_virtual([] {
      Stopwatch sw;
      auto tasks = three_tasks();
      auto r = wait(tasks, WaitOptions{.timeout = 1500ms});
      CHECK(sw.elapsed() == 1500ms);
      CHECK(values(r.done) == std::vector<int>{1});
      REQUIRE(r.pending.size() == 2);
      for (const auto& t : r.pending) CHECK_FALSE(t.done());
      CHECK(gather(r.pending) == std::vector<int>{3, 2});  // still running, and they finish
      CHECK(sw.elapsed() == 3s);

      // A timeout longer than the work: returns when the condition holds, not at the deadline.
      auto more = three_tasks();
      auto r2 = wait(more, WaitOptions{.timeout = 1h, .return_when = ReturnWhen::first_completed});
      CHECK(sw.elapsed() == 4s);
      CHECK(r2.done.size() == 1);
      // A zero timeout: a snapshot.
      auto r3 = wait(more, WaitOptions{.timeout = 0s});
      CHECK(sw.elapsed() == 4s);
      CHECK(r3.done.size() == 1);
      CHECK(r3.pending.size() == 2);
    });
  }

  TEST_CASE("wait: the A/B/C example of seed 003 gives its exact output") {
    std::vector<std::string> out;
    std::vector<TaskRef> finish_order;
    run_virtual([&] {
      Stopwatch sw;
      auto task = [&](std::string name, Duration delay) {
        out.push_back("Task " + name + " started");
        sleep(delay);
        if (name == "C") throw std::runtime_error("Task " + name + " failed");
        out.push_back("Task " + name + " completed");
        return std::string("Data fetched");
      };
      auto task1 = spawn(SpawnOptions{.name = "A"}, task, std::string("A"), Duration(2s));
      auto task2 = spawn(SpawnOptions{.name = "B"}, task, std::string("B"), Duration(5s));
      auto task3 = spawn(SpawnOptions{.name = "C"}, task, std::string("C"), Duration(1s));
      // Python prints the `done` set; its order there is completion order, which we record.
      // (finish_order outlives the loop: B's done callback runs after main has returned.)
      for (const auto& t : {task1, task2, task3}) {
        t.add_done_callback([&](const TaskRef& r) { finish_order.push_back(r); });
      }
      auto [done, pending] = wait(std::vector{task1, task2, task3}, WaitOptions{.timeout = 3s});
      CHECK(sw.elapsed() == 3s);
      CHECK(done == std::vector{task1, task3});  // input order
      REQUIRE(finish_order.size() == 2);
      const std::vector<TaskRef> done_order = finish_order;
      for (const TaskRef& ref : done_order) {
        for (const auto& t : done) {
          if (!(t == ref)) continue;
          try {
            out.push_back("Task " + t.name() + " done,result is " + t.result());
          } catch (const std::exception& e) {
            out.push_back("Task " + t.name() + " raised an exception: " + e.what());
          }
        }
      }
      for (const auto& t : pending) {
        out.push_back("Task " + t.name() + " is still pending");
        t.cancel();
        out.push_back("Task " + t.name() + " has been cancelled");
      }
      task2.join();
      CHECK(task2.cancelled());
      CHECK(sw.elapsed() == 3s);
    });
    CHECK(out == std::vector<std::string>{
                     "Task A started",
                     "Task B started",
                     "Task C started",
                     "Task A completed",
                     "Task C raised an exception: Task C failed",
                     "Task A done,result is Data fetched",
                     "Task B is still pending",
                     "Task B has been cancelled",
                 });
  }

  TEST_CASE("wait: cancelling its caller leaves the tasks running; an empty set is an error") {
    run_virtual([] {
      Stopwatch sw;
      auto tasks = three_tasks();
      auto waiter = spawn([&] { wait(tasks); });
      sleep(500ms);
      waiter.cancel();
      waiter.join();
      CHECK(waiter.cancelled());
      CHECK(sw.elapsed() == 500ms);
      for (const auto& t : tasks) CHECK_FALSE(t.done());
      CHECK(gather(tasks) == std::vector<int>{3, 1, 2});
      CHECK_THROWS_AS(wait(std::vector<Task<int>>{}), std::invalid_argument);
    });
  }

}  // TEST_SUITE wait

TEST_SUITE("wait_for") {
  TEST_CASE("wait_for(d, callable): the value in time; TimeoutError at the deadline, work reaped") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      CHECK(wait_for(2s, [] { return sleep(1s, 42); }) == 42);
      rec.at("in time");
      try {
        wait_for(1s, [&] {
          try {
            sleep(1h);
          } catch (const CancelledError&) {
            shield([] { sleep(500ms); });  // cleanup that parks: wait_for waits for it
            rec.at("work cleaned up");
            throw;
          }
        });
        FAIL("no TimeoutError");
      } catch (const TimeoutError&) {
        rec.at("TimeoutError");
      }
      CHECK(rec.str() == "in time@1000ms, work cleaned up@2500ms, TimeoutError@2500ms");
    });
  }

  TEST_CASE("wait_for(d, task): TimeoutError once the task is cancelled and reaped") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      auto quick = spawn([] { return sleep(1s, std::string("fast")); });
      CHECK(wait_for(5s, quick) == "fast");
      rec.at("in time");
      auto slow = spawn([&] {
        try {
          sleep(1h);
        } catch (const CancelledError&) {
          shield([] { sleep(500ms); });
          rec.at("task cleaned up");
          throw;
        }
        return 0;
      });
      try {
        wait_for(2s, slow);
        FAIL("no TimeoutError");
      } catch (const TimeoutError&) {
        rec.at("TimeoutError");
        CHECK(slow.done());
        CHECK(slow.cancelled());
      }
      // A task that fails on its own in time: its exception, not TimeoutError.
      auto failing = spawn([]() -> int {
        sleep(1s);
        throw std::invalid_argument("own failure");
      });
      CHECK_THROWS_AS(wait_for(5s, failing), std::invalid_argument);
      rec.at("own failure");
      CHECK(rec.str() ==
            "in time@1000ms, task cleaned up@3500ms, TimeoutError@3500ms, own failure@4500ms");
    });
  }

  TEST_CASE("wait_for: a non-Cancelled exception from the cancelled work propagates instead") {
    run_virtual([] {
      Stopwatch sw;
      auto turns_cancel_into_failure = []() -> int {
        try {
          sleep(1h);
        } catch (const CancelledError&) {
          throw CleanupFailed("cleanup failed");
        }
        return 0;
      };
      // TimeoutError is a std::runtime_error; CleanupFailed is not, so the type tells them apart.
      CHECK_THROWS_AS(wait_for(1s, turns_cancel_into_failure), CleanupFailed);
      CHECK(sw.elapsed() == 1s);
      auto t = spawn(turns_cancel_into_failure);
      CHECK_THROWS_AS(wait_for(1s, t), CleanupFailed);
      CHECK(sw.elapsed() == 2s);
      CHECK(t.done());
      CHECK_FALSE(t.cancelled());
    });
  }

  TEST_CASE("wait_for: cancelling the waiting fiber cancels and reaps the task") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      auto work = spawn([&] { sleep_or_record(rec, "work", 1h); });
      auto waiter = spawn([&] {
        try {
          wait_for(1h, work);
        } catch (const CancelledError&) {
          rec.at("waiter cancelled");
          throw;
        }
      });
      sleep(1s);
      waiter.cancel();
      waiter.join();
      CHECK(waiter.cancelled());
      CHECK(work.cancelled());
      CHECK(rec.str() == "work cancelled@1000ms, waiter cancelled@1000ms");
    });
  }

}  // TEST_SUITE wait_for

TEST_SUITE("as_completed") {
  TEST_CASE("as_completed: tasks in completion order, each as soon as it finishes") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      std::vector<Task<int>> tasks{spawn([] { return sleep(3s, 3); }),
                                   spawn([] { return sleep(1s, 1); }),
                                   spawn([] { return sleep(2s, 2); })};
      for (const Task<int>& t : as_completed(tasks)) rec.at(std::to_string(t.get()));
      CHECK(rec.str() == "1@1000ms, 2@2000ms, 3@3000ms");

      // Tasks already done come first, in input order; then the others as they finish.
      rec.clear();
      std::vector<Task<int>> mixed{spawn([] { return sleep(2s, 20); }), tasks[2], tasks[0]};
      for (const Task<int>& t : as_completed(mixed)) rec.at(std::to_string(t.get()));
      CHECK(rec.str() == "2@3000ms, 3@3000ms, 20@5000ms");
    });
  }

  TEST_CASE(
      "as_completed with a timeout: TimeoutError from the iteration step; nothing cancelled") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      std::vector<Task<int>> tasks{spawn([] { return sleep(3s, 3); }),
                                   spawn([] { return sleep(1s, 1); }),
                                   spawn([] { return sleep(2s, 2); })};
      try {
        for (const Task<int>& t : as_completed(tasks, 1500ms)) rec.at(std::to_string(t.get()));
        FAIL("no TimeoutError");
      } catch (const TimeoutError&) {
        rec.at("TimeoutError");
      }
      std::vector<Task<int>> pending;
      for (const auto& t : tasks) {
        if (!t.done()) pending.push_back(t);
      }
      CHECK(gather(pending) == std::vector<int>{3, 2});  // still running: they finish normally
      rec.at("pending finished");
      CHECK(rec.str() == "1@1000ms, TimeoutError@1500ms, pending finished@3000ms");

      // The deadline passes before anything finishes: begin() itself throws.
      rec.clear();
      auto slow = spawn([] { return sleep(1h, 0); });
      auto ac = as_completed(std::vector{slow}, 1s);
      CHECK_THROWS_AS(ac.begin(), TimeoutError);
      rec.at("begin threw");
      CHECK_FALSE(slow.done());
      slow.cancel();
      CHECK(rec.str() == "begin threw@4000ms");
    });
  }

}  // TEST_SUITE as_completed

TEST_SUITE("timers") {
  TEST_CASE("1,000,000 timeouts that never fire leave Loop::timer_count() at zero") {
    run_virtual([] {
      CHECK(this_loop().timer_count() == 0);
      long sum = 0;
      for (int i = 0; i < 1'000'000; ++i) sum += timeout(1h, [i] { return i % 2; });
      CHECK(sum == 500'000);
      CHECK(this_loop().timer_count() == 0);
      // Inside an armed outer timeout, inner ones come and go: only the outer one stays.
      timeout(1h, [] {
        for (int i = 0; i < 1000; ++i) move_on_after(1s, [] { yield_now(); });
        CHECK(this_loop().timer_count() == 1);
      });
      CHECK(this_loop().timer_count() == 0);
    });
  }

  TEST_CASE("wait, wait_for, as_completed and gather leave no timer behind") {
    run_virtual([] {
      for (int i = 0; i < 1000; ++i) {
        auto t = spawn([] { return 1; });
        CHECK(wait_for(1h, t) == 1);
        CHECK(wait_for(1h, [] { return 2; }) == 2);
        auto u = spawn([] { return 3; });
        wait(std::vector{u}, WaitOptions{.timeout = 1h});
        for (const auto& x : as_completed(std::vector{spawn([] { return 4; })}, 1h)) x.get();
        gather([] { return 5; }, [] { return 6; });
      }
      CHECK(this_loop().timer_count() == 0);
    });
  }

}  // TEST_SUITE timers

TEST_SUITE("combinators under deadlines") {
  TEST_CASE("timeout() around task_group: the children are cancelled and reaped, TimeoutError") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      CHECK_THROWS_AS(timeout(2s,
                              [&] {
                                task_group([&](TaskGroup& tg) {
                                  tg.spawn([&] { sleep_or_record(rec, "child", 1h); });
                                  tg.spawn([&] {
                                    sleep(1s);
                                    rec.at("quick child done");
                                  });
                                });
                              }),
                      TimeoutError);
      rec.at("TimeoutError");
      CHECK(rec.str() == "quick child done@1000ms, child cancelled@2000ms, TimeoutError@2000ms");
      CHECK(this_loop().timer_count() == 0);
    });
  }

  TEST_CASE("timeout() around gather: the children are cancelled and reaped, TimeoutError") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      CHECK_THROWS_AS(timeout(2s,
                              [&] {
                                gather([&] { sleep_or_record(rec, "a", 1h); },
                                       [&] { sleep_or_record(rec, "b", 1h); });
                              }),
                      TimeoutError);
      rec.at("TimeoutError");
      // a and b are cancelled at the same instant: in either order under a random schedule.
      CHECK((rec.str() == "a cancelled@2000ms, b cancelled@2000ms, TimeoutError@2000ms" ||
             rec.str() == "b cancelled@2000ms, a cancelled@2000ms, TimeoutError@2000ms"));
    });
  }

  TEST_CASE("a task_group whose body has returned: cancelling its fiber cancels the children") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      auto t = spawn([&] {
        task_group([&](TaskGroup& tg) { tg.spawn([&] { sleep_or_record(rec, "child", 1h); }); });
        rec("not reached");
      });
      sleep(1s);
      t.cancel();
      t.join();
      CHECK(t.cancelled());
      CHECK(rec.str() == "child cancelled@1000ms");
    });
  }

  TEST_CASE("wait_for with a zero or negative deadline") {
    run_virtual([] {
      Stopwatch sw;
      auto done = spawn([] { return 1; });
      done.join();
      CHECK(wait_for(0s, done) == 1);  // already done: its value
      auto running = spawn([] { return sleep(1s, 2); });
      CHECK_THROWS_AS(wait_for(0s, running), TimeoutError);
      CHECK(running.cancelled());
      CHECK_THROWS_AS(wait_for(-1s, [] { return sleep(1s, 3); }), TimeoutError);
      CHECK(sw.elapsed() == 0s);
    });
  }

  TEST_CASE("a deadline that passes while the body is in shield() takes effect when it returns") {
    run_virtual([] {
      Recorder rec;
      rec.start();
      CHECK_THROWS_AS(timeout(1s,
                              [&] {
                                shield([&] {
                                  sleep(3s);
                                  rec.at("shielded work done");
                                });
                                sleep_or_record(rec, "body", 1h);
                              }),
                      TimeoutError);
      rec.at("TimeoutError");
      CHECK(rec.str() == "shielded work done@3000ms, body cancelled@3000ms, TimeoutError@3000ms");
    });
  }

}  // TEST_SUITE combinators under deadlines

TEST_SUITE("combinators and the never-retrieved log") {
  TEST_CASE("failures that gather, task_group and wait_for report are not logged as lost") {
    LogCapture log;
    run_virtual([] {
      CHECK_THROWS_AS(gather(
                          [] {
                            sleep(1s);
                            throw std::invalid_argument("first");
                          },
                          [] {
                            try {
                              sleep(1h);
                            } catch (const CancelledError&) {
                              throw std::out_of_range("second, while cancelled");
                            }
                          }),
                      std::invalid_argument);
      auto [bad, good] = gather(
          return_exceptions, []() -> int { throw std::runtime_error("kept"); }, [] { return 1; });
      CHECK(bad.error() != nullptr);
      CHECK(good.value() == 1);
      CHECK_THROWS_AS(task_group([](TaskGroup& tg) {
                        tg.spawn([] { throw std::invalid_argument("a"); });
                        tg.spawn([] { throw std::out_of_range("b"); });
                      }),
                      ExceptionGroup);
      auto t = spawn([] {
        try {
          sleep(1h);
        } catch (const CancelledError&) {
          throw CleanupFailed("cleanup failed");
        }
      });
      CHECK_THROWS_AS(wait_for(1s, t), CleanupFailed);
    });
    CHECK(log.text() == "");
  }

}  // TEST_SUITE combinators and the never-retrieved log
