// ExitStack: LIFO order, every action runs when one throws, close() rethrows the first, the
// destructor logs, owned RAII objects, actions that park.
#include <stdexcept>
#include <string>

#include "sync_support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {
struct Resource {
  Recorder* rec;
  std::string name;
  Resource(Recorder& r, std::string n) : rec(&r), name(std::move(n)) { (*rec)("open " + name); }
  Resource(Resource&& o) noexcept : rec(o.rec), name(std::move(o.name)) { o.rec = nullptr; }
  ~Resource() {
    if (rec) (*rec)("close " + name);
  }
};
}  // namespace

TEST_SUITE("exit_stack") {

TEST_CASE("ExitStack: enter(), push(), callback() run in LIFO order at close()") {
  Recorder rec;
  run_virtual([&] {
    ExitStack stack;
    Resource& a = stack.enter(Resource(rec, "a"));
    CHECK(a.name == "a");
    stack.push([&] { rec("push"); });
    stack.callback([&](const std::string& s, int n) { rec(s + std::to_string(n)); }, "callback ", 3);
    stack.enter(Resource(rec, "b"));
    CHECK(stack.size() == 4);
    stack.close();
    CHECK(stack.size() == 0);
    stack.close();  // idempotent: nothing left
  });
  CHECK(rec.str() == "open a, open b, close b, callback 3, push, close a");
}

TEST_CASE("ExitStack: every action runs when some throw; close() rethrows the first thrown") {
  Recorder rec;
  run_virtual([&] {
    ExitStack stack;
    stack.push([&] { rec("1"); });
    stack.push([&] {
      rec("2 throws");
      throw std::runtime_error("second");
    });
    stack.push([&] {
      rec("3 throws");
      throw std::logic_error("third");
    });
    CHECK_THROWS_WITH_AS(stack.close(), "third", std::logic_error);
  });
  CHECK(rec.str() == "3 throws, 2 throws, 1");
}

TEST_CASE("ExitStack destructor runs what is left and logs what throws") {
  LogCapture log;
  Recorder rec;
  run_virtual([&] {
    {
      ExitStack stack;
      stack.push([&] { rec("last"); });
      stack.push([] { throw std::runtime_error("cleanup failed"); });
    }
    rec("after");
  });
  CHECK(rec.str() == "last, after");
  CHECK(log.contains("ExitStack"));
  CHECK(log.contains("cleanup failed"));
}

TEST_CASE("ExitStack: actions may park; opening the 4th of 5 fails, the 3 opened close LIFO") {
  Recorder rec;
  run_virtual([&] {
    rec.start();
    try {
      ExitStack stack;
      for (int i = 0; i < 5; ++i) {
        sleep(1s);
        if (i == 3) throw std::runtime_error("cannot open 3");
        rec.at("open " + std::to_string(i));
        stack.callback([&rec](int k) {
          sleep(1s);
          rec.at("close " + std::to_string(k));
        }, i);
      }
    } catch (const std::runtime_error& e) {
      rec.at(e.what());
    }
  });
  CHECK(rec.str() ==
        "open 0@1000ms, open 1@2000ms, open 2@3000ms, close 2@5000ms, close 1@6000ms, "
        "close 0@7000ms, cannot open 3@7000ms");
}

TEST_CASE("ExitStack::pop_all moves the actions out; the source then runs nothing") {
  Recorder rec;
  run_virtual([&] {
    ExitStack outer;
    {
      ExitStack inner;
      inner.push([&] { rec("moved action"); });
      outer = inner.pop_all();
    }
    rec("inner gone");
    outer.close();
  });
  CHECK(rec.str() == "inner gone, moved action");
}

}  // TEST_SUITE
