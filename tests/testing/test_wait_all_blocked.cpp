// testing::wait_all_blocked: returns once every other fiber is parked and nothing is ready, before
// the virtual clock jumps; one caller per such moment; a cancellation point; fibers in real I/O
// count as parked.
#include <doctest/doctest.h>

#include <boost/asio/local/connect_pair.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support.hpp"
#include "spindle.hpp"
#include "spindle/testing.hpp"

using namespace std::chrono_literals;
namespace testing = spindle::testing;

TEST_SUITE("wait_all_blocked") {
  TEST_CASE("returns once every other fiber has parked, at the same virtual instant") {
    testing::run_virtual([] {
      const auto t0 = spindle::now();
      int steps = 0;
      spindle::Event go;
      spindle::Queue<int> q;
      std::vector<spindle::Task<void>> tasks;
      for (int i = 0; i < 10; ++i) {
        tasks.push_back(spindle::spawn([&] {
          for (int k = 0; k < 10; ++k) {
            ++steps;
            spindle::yield_now();
          }
          go.wait();
        }));
      }
      tasks.push_back(spindle::spawn([&] { q.get(); }));
      tasks.push_back(spindle::spawn([&] { spindle::sleep(1h); }));  // a timer is pending
      testing::wait_all_blocked();
      CHECK(steps == 100);
      CHECK(spindle::now() == t0);  // woken before the clock jumps to the sleeper's deadline
      go.set();
      q.put(1);
      for (auto& t : tasks) t.get();
      CHECK(spindle::now() - t0 == 1h);
    });
  }

  TEST_CASE("with no other fiber it returns at once, also inside a callback-heavy loop") {
    testing::run_virtual([] {
      std::vector<int> ran;
      for (int i = 0; i < 3; ++i) spindle::this_loop().call_soon([&ran, i] { ran.push_back(i); });
      testing::wait_all_blocked();
      CHECK(ran == std::vector<int>{0, 1, 2});  // queued callbacks are "ready": they ran first
    });
  }

  TEST_CASE("several callers: one is woken per moment everything is parked, in call order") {
    testing::run_virtual([] {
      std::vector<std::string> order;
      auto a = spindle::spawn([&] {
        testing::wait_all_blocked();
        order.push_back("a");
      });
      auto b = spindle::spawn([&] {
        testing::wait_all_blocked();
        order.push_back("b");
      });
      auto worker = spindle::spawn([&] {
        for (int i = 0; i < 5; ++i) spindle::yield_now();
        order.push_back("worker done");
      });
      a.get();
      b.get();
      worker.get();
      CHECK(order == std::vector<std::string>{"worker done", "a", "b"});
    });
  }

  TEST_CASE("is a cancellation point, and needs a fiber") {
    testing::run_virtual([] {
      auto waiter = spindle::spawn([] { testing::wait_all_blocked(); });
      spindle::yield_now();  // the waiter parks; this fiber is still running
      waiter.cancel();
      waiter.join();
      CHECK(waiter.cancelled());
      spindle::timeout(1s, [] {
        auto scope_cancelled = spindle::spawn([] {
          spindle::CancelScope scope;
          scope.cancel();
          scope.run([] { testing::wait_all_blocked(); });
          return scope.cancelled_caught();
        });
        CHECK(scope_cancelled.get());
      });
      std::string error;
      spindle::this_loop().call_soon([&] {
        try {
          testing::wait_all_blocked();
        } catch (const std::logic_error& e) {
          error = e.what();
        }
      });
      spindle::yield_now();
      CHECK(error == "spindle::testing::wait_all_blocked called from a loop callback: only fibers can park");
    });
    CHECK_THROWS_AS(testing::wait_all_blocked(), std::logic_error);
  }

  TEST_CASE("a fiber waiting on a real socket counts as parked") {
    spindle::run([] {
      boost::asio::local::stream_protocol::socket a(spindle::this_loop().io_context()),
          b(spindle::this_loop().io_context());
      boost::asio::local::connect_pair(a, b);
      spindle::UnixStream left(std::move(a)), right(std::move(b));
      std::string line;
      auto reader = spindle::spawn([&] { line = left.read_line(); });
      testing::wait_all_blocked();
      CHECK(line.empty());
      right.write_all("hi\n");
      reader.get();
      CHECK(line == "hi\n");
    });
  }
}
