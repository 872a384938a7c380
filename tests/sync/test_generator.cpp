// Generator<T>: laziness, parking bodies, exceptions, early exit unwinding the body, move-only
// values, std::ranges.
#include <algorithm>
#include <memory>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

static_assert(std::ranges::input_range<Generator<int>>);
static_assert(std::ranges::view<Generator<int>>);
static_assert(!std::ranges::forward_range<Generator<int>>);
static_assert(std::same_as<std::ranges::range_reference_t<Generator<int>>, int&>);
static_assert(std::ranges::input_range<Generator<std::unique_ptr<int>>>);

TEST_SUITE("generator") {

TEST_CASE("Generator is lazy and never runs ahead of the consumer") {
  Recorder rec;
  run_virtual([&] {
    Generator<int> g([&](Yield<int>& yield) {
      for (int i = 1; i <= 3; ++i) {
        rec("body " + std::to_string(i));
        yield(i);
      }
      rec("body end");
    });
    yield_now();
    rec("before begin");
    for (int& v : g) rec("got " + std::to_string(v));
  });
  CHECK(rec.str() ==
        "before begin, body 1, got 1, body 2, got 2, body 3, got 3, body end");
}

TEST_CASE("Generator body parks: sleep and queue get, exact virtual times (powers_of_two)") {
  run_virtual([] {
    auto powers_of_two = [](int stop) {
      return Generator<int>([stop](Yield<int>& yield) {
        for (int exponent = 0; exponent < stop; ++exponent) {
          yield(1 << exponent);
          sleep(200ms);
        }
      });
    };
    Stopwatch sw;
    std::vector<int> g;
    for (int i : powers_of_two(5)) g.push_back(i);
    CHECK(g == std::vector<int>{1, 2, 4, 8, 16});
    CHECK(sw.elapsed() == 1000ms);  // five 0.2 s sleeps, the last after 16 was taken
    std::vector<int> f;
    for (int j : powers_of_two(5) | std::views::filter([](int j) { return !(j / 3 % 5); }))
      f.push_back(j);
    CHECK(f == std::vector<int>{1, 2, 16});

    Queue<std::string> q;
    auto feeder = spawn([&] {
      for (const char* s : {"a", "b", "c"}) {
        sleep(1s);
        q.put(s);
      }
    });
    Generator<std::string> from_queue([&](Yield<std::string>& yield) {
      for (int i = 0; i < 3; ++i) yield(q.get() + "!");
    });
    std::vector<std::string> got;
    Stopwatch sw2;
    for (auto& s : from_queue) got.push_back(s + "@" + format_offset(sw2.elapsed()));
    CHECK(got == std::vector<std::string>{"a!@1000ms", "b!@2000ms", "c!@3000ms"});
    feeder.join();
  });
}

TEST_CASE("an exception in the body reaches the consumer from begin() or ++") {
  run_virtual([] {
    Generator<int> at_once([](Yield<int>&) { throw std::runtime_error("before any value"); });
    CHECK_THROWS_WITH(at_once.begin(), "before any value");

    Generator<int> later([](Yield<int>& yield) {
      yield(1);
      sleep(1s);
      throw std::invalid_argument("after one value");
    });
    std::vector<int> seen;
    CHECK_THROWS_AS(
        [&] {
          for (int v : later) seen.push_back(v);
        }(),
        std::invalid_argument);
    CHECK(seen == std::vector<int>{1});
  });
}

TEST_CASE("break out of the range-for unwinds the body (destructors run) when it goes away") {
  Recorder rec;
  run_virtual([&] {
    struct Guard {
      Recorder& rec;
      ~Guard() { rec("body unwound"); }
    };
    {
      Generator<int> g([&](Yield<int>& yield) {
        Guard guard{rec};
        for (int i = 0;; ++i) {
          yield(i);
          rec("body resumed after " + std::to_string(i));
        }
      });
      for (int v : g) {
        rec("got " + std::to_string(v));
        if (v == 1) break;
      }
      rec("loop left");
    }
    rec("generator gone");
  });
  CHECK(rec.str() ==
        "got 0, body resumed after 0, got 1, loop left, body unwound, generator gone");
}

TEST_CASE("a consumer cancelled while the body sleeps: the body is cancelled and unwound too") {
  Recorder rec;
  run_virtual([&] {
    struct Guard {
      Recorder& rec;
      ~Guard() { rec.at("body unwound"); }
    };
    rec.start();
    auto consumer = spawn([&] {
      Generator<int> g([&](Yield<int>& yield) {
        Guard guard{rec};
        yield(1);
        sleep(10s);
        yield(2);
      });
      for (int v : g) rec.at("got " + std::to_string(v));
    });
    sleep(3s);
    consumer.cancel();
    consumer.join();
    CHECK(consumer.cancelled());
  });
  CHECK(rec.str() == "got 1@0ms, body unwound@3000ms");
}

TEST_CASE("Generator of a move-only type: *it is T&, values can be moved out") {
  run_virtual([] {
    Generator<std::unique_ptr<int>> g([](Yield<std::unique_ptr<int>>& yield) {
      for (int i = 0; i < 3; ++i) yield(std::make_unique<int>(i * 10));
    });
    std::vector<std::unique_ptr<int>> out;
    for (auto& p : g) out.push_back(std::move(p));
    REQUIRE(out.size() == 3);
    CHECK(*out[2] == 20);
  });
}

TEST_CASE("std::ranges views and algorithms over a Generator") {
  run_virtual([] {
    auto counter = [] {
      return Generator<int>([](Yield<int>& yield) {
        for (int i = 1; i <= 10; ++i) yield(i);
      });
    };
    std::vector<int> v;
    for (int x : counter() | std::views::transform([](int i) { return i * i; }) |
                     std::views::take(4))
      v.push_back(x);
    CHECK(v == std::vector<int>{1, 4, 9, 16});

    auto g = counter();
    auto it = std::ranges::find(g, 7);
    REQUIRE(it != g.end());
    CHECK(*it == 7);
    ++it;
    CHECK(*it == 8);  // an input range: the walk continues where find stopped

    int sum = 0;
    std::ranges::for_each(counter(), [&](int i) { sum += i; });
    CHECK(sum == 55);
    CHECK(std::ranges::count_if(counter(), [](int i) { return i % 2 == 0; }) == 5);
  });
}

TEST_CASE("an empty Generator and a default-constructed one") {
  run_virtual([] {
    Generator<int> empty([](Yield<int>&) {});
    CHECK(empty.begin() == empty.end());
    Generator<int> none;
    CHECK(none.begin() == none.end());
  });
}

}  // TEST_SUITE
