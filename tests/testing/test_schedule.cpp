// Schedule::fifo and Schedule::random(seed): FIFO keeps asyncio's order; a seed shuffles what is
// ready at the same instant (fibers, callbacks, timers due together) and replays it exactly;
// SPINDLE_SEED picks the default; a failing random run prints its seed. Also the completions of
// one reactor poll.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/asio/local/connect_pair.hpp>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support.hpp"
#include "spindle.hpp"
#include "spindle/testing.hpp"

using namespace std::chrono_literals;
using spindle_test::EnvVar;

namespace {

spindle::RunOptions virtual_with(spindle::Schedule s) {
  return spindle::RunOptions{.clock = spindle::ClockKind::virtual_time, .schedule = s};
}

// A little of everything that can be ready at once: fibers that yield, loop callbacks, timers
// that come due together, a queue handing items over. Returns the order things happened in.
std::vector<std::string> mixed_workload(spindle::Schedule s) {
  std::vector<std::string> events;
  spindle::run(virtual_with(s), [&] {
    spindle::Queue<int> q(2);
    std::vector<spindle::Task<void>> tasks;
    for (int f = 0; f < 4; ++f) {
      tasks.push_back(spindle::spawn([&, f] {
        for (int round = 0; round < 3; ++round) {
          events.push_back("f" + std::to_string(f) + "." + std::to_string(round));
          spindle::yield_now();
        }
        spindle::sleep(10ms);  // all four come due at the same instant
        events.push_back("f" + std::to_string(f) + " woke");
      }));
    }
    for (int c = 0; c < 3; ++c) {
      spindle::this_loop().call_soon([&, c] { events.push_back("cb" + std::to_string(c)); });
    }
    tasks.push_back(spindle::spawn([&] {
      for (int i = 0; i < 4; ++i) q.put(i);
    }));
    tasks.push_back(spindle::spawn([&] {
      for (int i = 0; i < 4; ++i) events.push_back("got " + std::to_string(q.get()));
    }));
    for (auto& t : tasks) t.get();
  });
  return events;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

TEST_SUITE("schedule") {
  TEST_CASE("FIFO is asyncio's order: spawn order, then yield order, callbacks in between") {
    const auto fifo = mixed_workload(spindle::Schedule::fifo());
    // The producer fills the queue and parks on its third put; the consumer's first get hands
    // that item into the queue as it wakes the producer, so it gets three before it parks.
    CHECK(joined(fifo) ==
          "f0.0 f1.0 f2.0 f3.0 cb0 cb1 cb2 got 0 got 1 got 2 f0.1 f1.1 f2.1 f3.1 f0.2 f1.2 f2.2 f3.2 "
          "got 3 f0 woke f1 woke f2 woke f3 woke");
    EnvVar unset("SPINDLE_SEED", nullptr);
    CHECK(mixed_workload(spindle::Schedule()) == fifo);  // the default, without SPINDLE_SEED
  }

  TEST_CASE("the same seed replays the same interleaving exactly; other seeds give others") {
    const auto fifo = mixed_workload(spindle::Schedule::fifo());
    std::set<std::vector<std::string>> orders;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      const auto first = mixed_workload(spindle::Schedule::random(seed));
      const auto again = mixed_workload(spindle::Schedule::random(seed));
      CHECK(first == again);
      auto sorted_first = first, sorted_fifo = fifo;
      std::sort(sorted_first.begin(), sorted_first.end());
      std::sort(sorted_fifo.begin(), sorted_fifo.end());
      CHECK(sorted_first == sorted_fifo);  // the same events, only reordered
      orders.insert(first);
    }
    CHECK(orders.size() >= 15);  // 20 seeds, nearly all different
    CHECK(orders.count(fifo) == 0);
  }

  TEST_CASE("each fiber keeps its own order, and timers at different instants stay in deadline order") {
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
      std::vector<int> woke;
      std::vector<std::string> steps;
      spindle::run(virtual_with(spindle::Schedule::random(seed)), [&] {
        std::vector<spindle::Task<void>> tasks;
        for (int i = 5; i >= 1; --i) {
          tasks.push_back(spindle::spawn([&, i] {
            spindle::sleep(std::chrono::milliseconds(i));
            woke.push_back(i);
          }));
        }
        for (int f = 0; f < 3; ++f) {
          tasks.push_back(spindle::spawn([&, f] {
            for (int k = 0; k < 3; ++k) {
              steps.push_back(std::to_string(f) + ":" + std::to_string(k));
              spindle::yield_now();
            }
          }));
        }
        for (auto& t : tasks) t.get();
      });
      CHECK(woke == std::vector<int>{1, 2, 3, 4, 5});
      for (int f = 0; f < 3; ++f) {
        std::vector<std::string> mine;
        for (const auto& s : steps) {
          if (s[0] == char('0' + f)) mine.push_back(s);
        }
        CHECK(joined(mine) == std::to_string(f) + ":0 " + std::to_string(f) + ":1 " + std::to_string(f) + ":2");
      }
    }
  }

  TEST_CASE("a batch runs before anything made ready after it: a yield lets every other ready fiber run") {
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
      std::string order;
      spindle::run(virtual_with(spindle::Schedule::random(seed)), [&] {
        auto a = spindle::spawn([&] {
          order += "A";
          spindle::yield_now();
          order += "a";
        });
        auto b = spindle::spawn([&] { order += "B"; });
        auto c = spindle::spawn([&] { order += "C"; });
        a.get();
        b.get();
        c.get();
      });
      // A's second step comes after B and C, whichever order the three started in.
      CHECK(order.find('a') == 3);
      std::string first = order.substr(0, 3);
      std::sort(first.begin(), first.end());
      CHECK(first == "ABC");
    }
  }

  TEST_CASE("timers due at the same instant run in a shuffled order") {
    std::set<std::string> orders;
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
      std::string order;
      spindle::run(virtual_with(spindle::Schedule::random(seed)), [&] {
        for (char c : std::string("abcde")) {
          spindle::this_loop().call_later(5ms, [&order, c] { order += c; });
        }
        spindle::sleep(10ms);
      });
      std::string sorted = order;
      std::sort(sorted.begin(), sorted.end());
      CHECK(sorted == "abcde");
      orders.insert(order);
    }
    CHECK(orders.size() >= 10);
    std::string fifo;
    spindle::run(virtual_with(spindle::Schedule::fifo()), [&] {
      for (char c : std::string("abcde")) spindle::this_loop().call_later(5ms, [&fifo, c] { fifo += c; });
      spindle::sleep(10ms);
    });
    CHECK(fifo == "abcde");  // arming order
  }

  TEST_CASE("completions from one reactor poll run in a shuffled order, replayed by the seed") {
    // Five readers parked on five socket pairs; all five bytes are written before the loop looks
    // at the reactor, so one poll completes every read.
    auto order_for = [](spindle::Schedule s) {
      std::string order;
      spindle::run(spindle::RunOptions{.schedule = s}, [&] {
        std::vector<spindle::UnixStream> ours, theirs;
        for (int i = 0; i < 5; ++i) {
          boost::asio::local::stream_protocol::socket a(spindle::this_loop().io_context()),
              b(spindle::this_loop().io_context());
          boost::asio::local::connect_pair(a, b);
          ours.emplace_back(std::move(a));
          theirs.emplace_back(std::move(b));
        }
        std::vector<spindle::Task<void>> readers;
        for (int i = 0; i < 5; ++i) {
          readers.push_back(spindle::spawn([&, i] {
            ours[std::size_t(i)].read_exactly(1);
            order += char('0' + i);
          }));
        }
        spindle::testing::wait_all_blocked();  // every reader is parked in the reactor
        for (auto& t : theirs) t.write_all("x");
        for (auto& r : readers) r.get();
      });
      return order;
    };
    std::set<std::string> orders;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      const std::string order = order_for(spindle::Schedule::random(seed));
      CHECK(order == order_for(spindle::Schedule::random(seed)));
      std::string sorted = order;
      std::sort(sorted.begin(), sorted.end());
      CHECK(sorted == "01234");
      orders.insert(order);
    }
    CHECK(orders.size() >= 10);
  }

  TEST_CASE("SPINDLE_SEED picks the default schedule; fifo() ignores it; a bad value names itself") {
    {
      EnvVar seed("SPINDLE_SEED", "77");
      CHECK(spindle::run([] { return spindle::this_loop().schedule_seed(); }) == std::optional<std::uint64_t>(77));
      CHECK(spindle::run(spindle::RunOptions{.schedule = spindle::Schedule::fifo()},
                         [] { return spindle::this_loop().schedule_seed(); }) == std::nullopt);
      CHECK(spindle::run(spindle::RunOptions{.schedule = spindle::Schedule::random(5)},
                         [] { return spindle::this_loop().schedule_seed(); }) == std::optional<std::uint64_t>(5));
      // The environment's seed replays exactly what the explicit seed does.
      CHECK(mixed_workload(spindle::Schedule()) == mixed_workload(spindle::Schedule::random(77)));
    }
    for (const char* bad : {"abc", "-1", "12x", "99999999999999999999999"}) {
      EnvVar seed("SPINDLE_SEED", bad);
      CHECK_THROWS_WITH_AS(spindle::run([] {}),
                           ("SPINDLE_SEED: '" + std::string(bad) +
                            "' is not a seed (a decimal number from 0 to 2^64-1)").c_str(),
                           std::invalid_argument);
      CHECK(spindle::Loop::running_on_this_thread() == nullptr);  // nothing was left open
    }
    EnvVar empty("SPINDLE_SEED", "");
    CHECK(spindle::run([] { return spindle::this_loop().schedule_seed(); }) == std::nullopt);
  }

  TEST_CASE("a run that fails under a random schedule prints the seed that replays it") {
    auto failing = [](spindle::Schedule s) {
      return spindle_test::in_forked_child([s] {
        try {
          spindle::run(virtual_with(s), [] {
            auto t = spindle::spawn([] { throw std::runtime_error("boom"); });
            t.get();
          });
        } catch (const std::runtime_error&) {
        }
      });
    };
    const auto random = failing(spindle::Schedule::random(4242));
    CHECK(random.exited_with(0));
    CHECK(random.output ==
          "spindle: this run failed under Schedule::random; SPINDLE_SEED=4242 replays its schedule\n");
    const auto fifo = failing(spindle::Schedule::fifo());
    CHECK(fifo.exited_with(0));
    CHECK(fifo.output == "");
    // A run that passes prints nothing.
    const auto passing = spindle_test::in_forked_child([] {
      spindle::run(virtual_with(spindle::Schedule::random(1)), [] { spindle::yield_now(); });
    });
    CHECK(passing.output == "");
  }

  TEST_CASE("random_below: uniform picks from the loop's generator, replayed by the seed") {
    auto draws = [](spindle::Schedule s) {
      return spindle::run(virtual_with(s), [] {
        std::vector<std::uint64_t> v;
        for (int i = 0; i < 1000; ++i) v.push_back(spindle::this_loop().random_below(6));
        return v;
      });
    };
    const auto a = draws(spindle::Schedule::random(9));
    CHECK(a == draws(spindle::Schedule::random(9)));
    CHECK(a != draws(spindle::Schedule::random(10)));
    CHECK(draws(spindle::Schedule::fifo()) == draws(spindle::Schedule::fifo()));
    std::vector<int> counts(6);
    for (auto x : a) ++counts.at(x);
    for (int c : counts) CHECK(c > 120);  // 1000/6 ≈ 167 each
    spindle::run([] {
      CHECK_THROWS_WITH_AS(spindle::this_loop().random_below(0),
                           "spindle::Loop::random_below: n must be at least 1", std::invalid_argument);
    });
  }
}
