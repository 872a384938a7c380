// 003 执行任务超时控制: asyncio.wait_for(fetch_data(), 1). fetch_data() needs 2 s; wait_for cancels
// it at 1 s and throws TimeoutError → "Timeout!". CancelledError would reach main only if main
// itself were cancelled; it is not a std::exception, so it has its own handler, as in Python.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
std::string fetch_data() {
  spindle::sleep(2s);
  return "Data fetched";
}
}  // namespace

SPINDLE_SAMPLE(wait_for_timeout, "003 执行任务超时控制: wait_for(fetch_data(), 1) → Timeout!") {
  try {
    // In time if the timeout is > 2 s; a timeout if it is <= 2 s.
    std::string result = spindle::wait_for(1s, fetch_data);
    std::cout << result << '\n';
  } catch (const spindle::TimeoutError&) {
    std::cout << "Timeout!\n";
  } catch (const spindle::CancelledError&) {
    std::cout << "Cancelled!\n";
  }
}
