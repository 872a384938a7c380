// Instrumentation points (scheduler/instrument.hpp): the exact events of small programs under the
// virtual clock.
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "scheduler/instrument.hpp"
#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {

// Records every event as one line; objects and sites are named by what the test registers.
class RecordingInstrument : public Instrument {
 public:
  Recorder events;
  // Names the wait queue inside `object` (a primitive of `size` bytes) in park events.
  void name_object(const void* object, std::size_t size, std::string name) {
    object_ = static_cast<const char*>(object);
    object_size_ = size;
    object_name_ = std::move(name);
  }

  void on_spawn(const TaskRef& t, const SpawnSite& site) noexcept override {
    const bool here = std::strcmp(site.file_name(), __FILE__) == 0;
    events("spawn " + t.name() + " at " +
           (site.line() == 0 ? std::string("no site")
            : here           ? "line " + std::to_string(site.line())
                             : std::string("elsewhere")));
  }
  void on_park(const TaskRef& t, const char* what, const void* object) noexcept override {
    events("park " + t.name() + " in " + what + " on " + describe(object));
  }
  void on_wake(const TaskRef& t, const TaskRef& by) noexcept override {
    events("wake " + t.name() + " by " + (by.valid() ? by.name() : std::string("loop")));
  }
  void on_exit(const TaskRef& t) noexcept override { events("exit " + t.name()); }
  void on_poll_begin(bool blocking) noexcept override {
    events(blocking ? "poll begin (blocking)" : "poll begin");
  }
  void on_poll_end() noexcept override { events("poll end"); }

 private:
  std::string describe(const void* object) const {
    if (!object) return "nothing";
    const auto* p = static_cast<const char*>(object);
    return p >= object_ && p < object_ + object_size_ ? object_name_ : "another queue";
  }
  const char* object_ = nullptr;
  std::size_t object_size_ = 0;
  std::string object_name_;
};

RunOptions instrumented(Instrument& in) {
  RunOptions opts = virtual_options();
  opts.instrument = &in;
  return opts;
}

}  // namespace

TEST_SUITE("instrument") {

TEST_CASE("two fibers, a Lock and a sleep: spawn, park, wake and exit in order, with sites") {
  RecordingInstrument in;
  unsigned a_line = 0;
  unsigned b_line = 0;
  std::string b;  // unnamed: "Task-<id>"
  run(instrumented(in), [&] {
    Lock lock;
    in.name_object(&lock, sizeof lock, "the lock");
    lock.lock();
    a_line = __LINE__ + 1;
    auto a = spawn(SpawnOptions{.name = "a"}, [&] {
      std::lock_guard g(lock);  // parks until main hands the lock over
    });
    b_line = __LINE__ + 1;
    auto unnamed = spawn([&] { sleep(2s); });
    b = "Task-" + std::to_string(unnamed.id());
    sleep(1s);
    lock.unlock();
    a.join();
    unnamed.join();
  });
  CHECK(in.events.str() ==
        "spawn main at elsewhere, "
        "spawn a at line " + std::to_string(a_line) + ", "
        "spawn " + b + " at line " + std::to_string(b_line) + ", "
        "park main in sleep on nothing, "
        "park a in Lock.lock on the lock, "
        "park " + b + " in sleep on nothing, "
        "wake main by loop, "      // its sleep's timer, at 1 s
        "wake a by main, "         // unlock() hands the lock over
        "park main in Task.join on another queue, "
        "exit a, "
        "wake main by a, "         // a's exit wakes its joiner
        "park main in Task.join on another queue, "
        "wake " + b + " by loop, "  // at 2 s
        "exit " + b + ", "
        "wake main by " + b + ", "
        "exit main");
}

TEST_CASE("an Event set by a cross-thread call: the reactor poll that brings it is bracketed") {
  RecordingInstrument in;
  run(instrumented(in), [&] {
    Event event;
    in.name_object(&event, sizeof event, "the event");
    Loop& loop = this_loop();
    std::thread([&] { loop.call_soon_threadsafe([&] { event.set(); }); }).join();
    event.wait();
  });
  CHECK(in.events.str() ==
        "spawn main at elsewhere, "
        "park main in Event.wait on the event, "
        "poll begin, "
        "poll end, "
        "wake main by loop, "  // the callback runs on the loop, not in a fiber
        "exit main");
}

TEST_CASE("spawn(f) records its caller as the site; spawn(f, args...) without options has none") {
  RecordingInstrument in;
  unsigned line = 0;
  std::string first;
  std::string second;
  run(instrumented(in), [&] {
    line = __LINE__ + 1;
    auto t = spawn([] {});
    first = "Task-" + std::to_string(t.id());
    t.join();
    auto u = spawn([](int) {}, 1);
    second = "Task-" + std::to_string(u.id());
    u.join();
  });
  CHECK(in.events.str() ==
        "spawn main at elsewhere, "
        "spawn " + first + " at line " + std::to_string(line) + ", "
        "park main in Task.join on another queue, "
        "exit " + first + ", "
        "wake main by " + first + ", "
        "spawn " + second + " at no site, "
        "park main in Task.join on another queue, "
        "exit " + second + ", "
        "wake main by " + second + ", "
        "exit main");
}

}  // TEST_SUITE
