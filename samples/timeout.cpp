// 000 Timeout: asyncio.timeout(10) around a long-running operation. spindle::timeout() runs the
// body with a deadline; when it passes, the body is cancelled (its sleep throws CancelledError and
// unwinds) and timeout() throws TimeoutError, which main handles. 10 s in all.
#include <chrono>
#include <iostream>
#include <spindle.hpp>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
// The material leaves long_running_task undefined: anything longer than the 10 s deadline.
void long_running_task() { spindle::sleep(1h); }
}  // namespace

SPINDLE_SAMPLE(timeout, "000 Timeout: asyncio.timeout(10)") {
  try {
    spindle::timeout(10s, [] { long_running_task(); });
  } catch (const spindle::TimeoutError&) {
    std::cout << "The long operation timed out, but we've handled it.\n";
  }
  std::cout << "This statement will run regardless.\n";
}
