// 000 等待: asyncio.wait_for(eternity(), timeout=1.0). eternity() would sleep an hour; wait_for
// cancels it after 1 s (its sleep unwinds, "yay!" is never printed), waits for it to end, and
// throws TimeoutError.
#include <chrono>
#include <iostream>
#include <spindle.hpp>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
void eternity() {
  // Sleep for one hour
  spindle::sleep(3600s);
  std::cout << "yay!\n";
}
}  // namespace

SPINDLE_SAMPLE(wait_for_eternity, "000 等待: wait_for(eternity(), timeout=1.0)") {
  // Wait for at most 1 second
  try {
    spindle::wait_for(1s, eternity);
  } catch (const spindle::TimeoutError&) {
    std::cout << "timeout!\n";
  }
}
