// Checks that a consumer project can build and run against spindle: spawn, get, sleep and timeout
// under the virtual clock (instant). Exit status 0 on success.
#include <spindle.hpp>

#include <chrono>
#include <iostream>
#include <string>

using namespace std::chrono_literals;

int main() {
  const std::string got = spindle::run(
      spindle::RunOptions{.clock = spindle::ClockKind::virtual_time}, [] {
        const auto start = spindle::now();
        auto slow = spindle::spawn([] { return spindle::sleep(2s, std::string("world")); });
        auto fast = spindle::spawn([] { return spindle::sleep(1s, std::string("hello")); });
        std::string out = fast.get() + " " + slow.get();
        bool timed_out = false;
        try {
          spindle::timeout(1s, [] { spindle::sleep(1h); });
        } catch (const spindle::TimeoutError&) {
          timed_out = true;
        }
        if (!timed_out || spindle::now() - start != 3s) return std::string("wrong timing");
        return out;
      });
  std::cout << "consumer: " << got << '\n';
  return got == "hello world" ? 0 : 1;
}
