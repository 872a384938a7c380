// 000 在线程中运行 and 003 to_thread: asyncio.to_thread. A blocking function (time.sleep stands
// for any blocking I/O, e.g. a file operation) runs on a worker thread while the fiber that called
// to_thread parks, so the loop goes on with the other fibers: blocking_io and a 1 s sleep run side
// by side and main finishes after 1 s, not 2 s.
//
// The timestamps are time.strftime('%X'). The fibers read the loop's clock; a worker thread has no
// loop (spindle::now() works only on the loop's thread), so blocking_io reads the real clock, as
// time.strftime does. Both count from the start of the run, to the whole second. Under --virtual
// the worker's sleeps are still real (a thread's time cannot be skipped); the loop's 1 s sleep is
// (the samples' runner lets virtual time jump once the reactor has been quiet for 5 ms), so the
// loop time elapsed is the 1 s of asyncio.sleep either way.
#include <chrono>
#include <ctime>
#include <iostream>
#include <spindle.hpp>
#include <string>
#include <thread>

#include "common/registry.hpp"
#include "io/thread_pool.hpp"

using namespace std::chrono_literals;

namespace {

class Clock {
 public:
  Clock()
      : wall_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())),
        loop_start_(spindle::now()),
        real_start_(std::chrono::steady_clock::now()) {}
  // On the loop's thread (a fiber).
  std::string loop_x() const { return format(spindle::now() - loop_start_); }
  // On any thread.
  std::string real_x() const { return format(std::chrono::steady_clock::now() - real_start_); }

 private:
  std::string format(std::chrono::nanoseconds since) const {
    std::time_t t = std::chrono::system_clock::to_time_t(
        wall_ + std::chrono::floor<std::chrono::seconds>(since));
    std::tm local{};
    localtime_r(&t, &local);
    char buf[64];
    return std::string(buf, std::strftime(buf, sizeof buf, "%X", &local));
  }
  std::chrono::system_clock::time_point wall_;
  spindle::TimePoint loop_start_;
  std::chrono::steady_clock::time_point real_start_;
};

// 000: blocking_io beside asyncio.sleep(1), through gather.
void beside_a_sleep() {
  const Clock clock;
  auto blocking_io = [&clock] {
    std::cout << "start blocking_io at " << clock.real_x() << '\n';
    // Note that std::this_thread::sleep_for can be replaced by any blocking IO-bound operation,
    // such as file operations.
    std::this_thread::sleep_for(1s);
    std::cout << "blocking_io complete at " << clock.real_x() << '\n';
  };

  std::cout << "started main at " << clock.loop_x() << '\n';
  spindle::gather([&] { spindle::to_thread(blocking_io); }, [] { spindle::sleep(1s); });
  std::cout << "finished main at " << clock.loop_x() << '\n';
}

// 003: the loop stays free while blocking_io runs in a separate thread.
void blocking_io() {
  std::cout << "Blocking IO started\n";
  std::this_thread::sleep_for(2s);  // a blocking operation
  std::cout << "Blocking IO finished\n";
}

void main_003() {
  std::cout << "Main started\n";
  spindle::to_thread(blocking_io);  // runs in a separate thread
  std::cout << "Main finished\n";
}

}  // namespace

SPINDLE_SAMPLE(to_thread, "000 在线程中运行 / 003 to_thread: a blocking function on a worker thread") {
  beside_a_sleep();
  main_003();
}
