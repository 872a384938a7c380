// A primitive destroyed while fibers are parked on it: their waiters would point into freed memory
// (silent corruption in release builds). Every build prints the primitive and the parked fibers and
// aborts instead. One case per primitive that keeps its own waiter list; each runs in a child.
// (A Future is not among them: its waiters live in the shared state, which get() keeps alive.)
#include <signal.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {

// In a child: makes the primitive, parks two fibers ('parked-a', 'parked-b') on it through `park`,
// prints their ids, then destroys the primitive. Checks that the child died of SIGABRT, printing
// exactly the fatal message for `type` and `what`.
template <class Primitive>
void check_fatal(const char* type, const char* what, std::function<std::unique_ptr<Primitive>()> make,
                 std::function<void(Primitive&)> park, std::function<void(Primitive&)> before = {}) {
  const ChildResult r = in_forked_child([&] {
    run([&] {
      auto p = make();
      if (before) before(*p);
      auto a = spawn(SpawnOptions{.name = "parked-a", .stack_size = 0}, [&] { park(*p); });
      auto b = spawn(SpawnOptions{.name = "parked-b", .stack_size = 0}, [&] { park(*p); });
      yield_now();  // both run and park
      std::printf("ids %llu %llu\n", static_cast<unsigned long long>(a.id()),
                  static_cast<unsigned long long>(b.id()));
      std::fflush(stdout);
      p.reset();
    });
  });
  INFO("child output: " << r.output);
  CHECK(r.killed_by(SIGABRT));
  // The child's output may start with what the parent had buffered when it forked.
  const std::size_t ids = r.output.find("ids ");
  REQUIRE(ids != std::string::npos);
  unsigned long long a = 0, b = 0;
  REQUIRE(std::sscanf(r.output.c_str() + ids, "ids %llu %llu\n", &a, &b) == 2);
  const std::string expected = std::string("spindle: fatal: ") + type +
                               " destroyed while 2 fibers are parked on it: 'parked-a' (id " +
                               std::to_string(a) + ") in " + what + "; 'parked-b' (id " +
                               std::to_string(b) + ") in " + what +
                               ". Keep a primitive alive until every fiber waiting on it has been "
                               "woken or has ended.\n";
  CHECK(r.output.substr(r.output.find('\n', ids) + 1) == expected);
}

}  // namespace

TEST_SUITE("destroyed_while_parked") {

TEST_CASE("Queue") {
  check_fatal<Queue<int>>(
      "Queue", "Queue.get", [] { return std::make_unique<Queue<int>>(); },
      [](Queue<int>& q) { q.get(); });
}

TEST_CASE("Event") {
  check_fatal<Event>(
      "Event", "Event.wait", [] { return std::make_unique<Event>(); }, [](Event& e) { e.wait(); });
}

TEST_CASE("Lock") {
  check_fatal<Lock>(
      "Lock", "Lock.lock", [] { return std::make_unique<Lock>(); }, [](Lock& l) { l.lock(); },
      [](Lock& l) { l.lock(); });
}

TEST_CASE("Semaphore") {
  check_fatal<Semaphore>(
      "Semaphore", "Semaphore.acquire", [] { return std::make_unique<Semaphore>(0); },
      [](Semaphore& s) { s.acquire(); });
}

TEST_CASE("Condition") {
  Lock lock;  // outlives the child's loop: only the Condition is destroyed
  check_fatal<Condition>(
      "Condition", "Condition.wait", [] { return std::make_unique<Condition>(); },
      [&](Condition& c) {
        std::unique_lock lk(lock);
        c.wait(lk);
      });
}

TEST_CASE("Barrier") {
  check_fatal<Barrier>(
      "Barrier", "Barrier.wait", [] { return std::make_unique<Barrier>(3); },
      [](Barrier& b) { b.wait(); });
}

}  // TEST_SUITE
