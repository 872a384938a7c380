// Diagnostics: dump_tasks, debug-mode warnings, and the stack-overflow report (child process).
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>

#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {

void park_forever(const char* what) {
  WaitQueue q;
  Waiter w(what);
  q.wait(w);
}

std::string id_of(const TaskRef& t) { return std::to_string(t.id()); }

// The thing under test here is a fiber that hogs the thread, so it really does spin.
void busy_for(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

using spindle_test::EnvVar;

}  // namespace

TEST_SUITE("diagnostics") {

TEST_CASE("dump_tasks: the live task tree with names, ids, states and waits") {
  run_virtual([] {
    TaskRef child_a, child_b;
    WaitQueue event;
    auto parent = spawn(SpawnOptions{.name = "parent"}, [&] {
      auto a = spawn(SpawnOptions{.name = "child-a"}, [] { sleep(1h); });
      child_a = a;
      child_b = spawn(SpawnOptions{.name = "child-b"}, [&] {
        Waiter w("Event.wait");
        event.wait(w);
      });
      a.get();
    });
    sleep(1500ms);
    auto fresh = spawn(SpawnOptions{.name = "fresh"}, [] {});
    auto doomed = spawn(SpawnOptions{.name = "doomed"}, [] {});
    doomed.cancel();
    std::ostringstream out;
    dump_tasks(out);
    const std::string expected =
        "tasks (6 live):\n"
        "  'main' (id " + id_of(current_task()) + ") running\n"
        "    'parent' (id " + id_of(parent) + ") parked on Task.join for 1.500 s\n"
        "      'child-a' (id " + id_of(child_a) + ") parked on sleep for 1.500 s\n"
        "      'child-b' (id " + id_of(child_b) + ") parked on Event.wait for 1.500 s\n"
        "    'fresh' (id " + id_of(fresh) + ") ready\n"
        "    'doomed' (id " + id_of(doomed) + ") ready [cancel requested]\n";
    CHECK(out.str() == expected);
    event.wake_all();
    child_a.cancel();
    parent.join();
    fresh.join();
    doomed.join();
    std::ostringstream after;
    dump_tasks(after);
    CHECK(after.str() == "tasks (1 live):\n  'main' (id " + id_of(current_task()) + ") running\n");
  });
}

TEST_CASE("dump_tasks: a task whose parent has finished is shown at the top level") {
  run_virtual([] {
    TaskRef orphan;
    auto maker = spawn(SpawnOptions{.name = "maker"}, [&] {
      orphan = spawn(SpawnOptions{.name = "orphan"}, [] { park_forever("Lock.lock"); });
    });
    maker.get();
    sleep(250ms);
    std::ostringstream out;
    dump_tasks(out);
    CHECK(out.str() == "tasks (2 live):\n"
                       "  'main' (id " + id_of(current_task()) + ") running\n"
                       "  'orphan' (id " + id_of(orphan) + ") parked on Lock.lock for 0.250 s\n");
    orphan.cancel();
    orphan.join();
  });
}

TEST_CASE("dump_tasks outside a running loop: std::logic_error") {
  std::ostringstream out;
  CHECK_THROWS_AS(dump_tasks(out), std::logic_error);
}

TEST_CASE("debug mode warns about a fiber that runs more than 100 ms without parking") {
  EnvVar no_env("SPINDLE_DEBUG", nullptr);
  SUBCASE("RunOptions::debug") {
    LogCapture log;
    std::string hog_id, finisher_id;
    run(RunOptions{.debug = true}, [&] {
      CHECK(this_loop().debug());
      auto hog = spawn(SpawnOptions{.name = "hog"}, [] {
        busy_for(std::chrono::milliseconds(150));
        yield_now();  // reported when it finally parks
      });
      auto finisher = spawn(SpawnOptions{.name = "finisher"}, [] {
        busy_for(std::chrono::milliseconds(150));  // reported when it ends without parking
      });
      hog_id = id_of(hog);
      finisher_id = id_of(finisher);
      hog.get();
      finisher.get();
    });
    INFO(log.text());
    CHECK(log.contains("warning: fiber 'hog' (id " + hog_id + ") ran "));
    CHECK(log.contains("warning: fiber 'finisher' (id " + finisher_id + ") ran "));
    CHECK(log.count("ms without parking") >= 2);
  }
  SUBCASE("SPINDLE_DEBUG=1") {
    EnvVar env("SPINDLE_DEBUG", "1");
    LogCapture log;
    run([] {
      CHECK(this_loop().debug());
      spawn(SpawnOptions{.name = "env-hog"}, [] {
        busy_for(std::chrono::milliseconds(150));
        yield_now();
      }).get();
    });
    CHECK(log.contains("fiber 'env-hog'"));
  }
  SUBCASE("off by default: no warning") {
    LogCapture log;
    run([] {
      CHECK_FALSE(this_loop().debug());
      spawn(SpawnOptions{.name = "quiet-hog"}, [] {
        busy_for(std::chrono::milliseconds(150));
        yield_now();
      }).get();
    });
    CHECK_FALSE(log.contains("without parking"));
  }
  SUBCASE("SPINDLE_DEBUG=0 is off") {
    EnvVar env("SPINDLE_DEBUG", "0");
    run([] { CHECK_FALSE(this_loop().debug()); });
  }
}

TEST_CASE("debug mode warns when a fiber calls a blocking libc sleep") {
  // Zero-length sleeps: the calls are what is under test, not the time they take.
  EnvVar no_env("SPINDLE_DEBUG", nullptr);
  SUBCASE("debug on: usleep and nanosleep in a fiber are named; in a callback they are not") {
    LogCapture log;
    std::string id;
    run(RunOptions{.debug = true}, [&] {
      auto t = spawn(SpawnOptions{.name = "sleepy"}, [] {
        ::usleep(0);
        const timespec zero{0, 0};
        ::nanosleep(&zero, nullptr);
      });
      id = id_of(t);
      t.get();
      this_loop().call_soon([] { ::usleep(0); });
      yield_now();
    });
    INFO(log.text());
    CHECK(log.contains("fiber 'sleepy' (id " + id + ") called blocking usleep()"));
    CHECK(log.contains("fiber 'sleepy' (id " + id + ") called blocking nanosleep()"));
    CHECK(log.count("called blocking") == 2);
  }
  SUBCASE("debug off: no warning") {
    LogCapture log;
    run([] { spawn([] { ::usleep(0); }).get(); });
    CHECK_FALSE(log.contains("called blocking"));
  }
}

TEST_CASE("a stack overflow names the fiber and its stack_size, then aborts") {
  const auto r = run_child({overflow_child_path()});
  INFO(r.output);
  CHECK(r.killed_by(SIGABRT));
  CHECK(r.output.find("stack overflow") != std::string::npos);
  CHECK(r.output.find("'deep_recursion'") != std::string::npos);
  CHECK(r.output.find("stack_size 65536") != std::string::npos);
  CHECK(r.output.find("raise stack_size") != std::string::npos);
}

}  // TEST_SUITE
