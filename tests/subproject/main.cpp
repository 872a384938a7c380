// Checks that a consumer project can build and run against spindle: spawn, get, sleep and timeout
// under the virtual clock (instant), and the testing toolkit's header (stream_pair, explore).
// Exit status 0 on success.
#include <spindle.hpp>
#include <spindle/testing.hpp>

#include <chrono>
#include <iostream>
#include <stdexcept>
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
  int runs = 0;
  spindle::testing::explore([&] {
    ++runs;
    auto [a, b] = spindle::testing::stream_pair();
    a.write_all("ping\n");
    if (b.read_line() != "ping\n") throw std::runtime_error("stream_pair lost the line");
  }, {.runs = 3});
  std::cout << "consumer: " << got << ", " << runs << " explored runs\n";
  return got == "hello world" && runs == 3 ? 0 : 1;
}
