// 000 Timeout: asyncio.timeout(None) + cm.reschedule() + cm.expired(). The body takes the
// Timeout& (asyncio's `as cm`): the timeout starts with no deadline, the body sets one 10 s ahead
// once it "knows" it, and the long task is cancelled when it passes. Python reads cm.expired()
// after the `async with`; the Timeout lives only as long as the body here, so the body notes
// expired() as it is left (an RAII guard standing in for __aexit__). 10 s in all.
#include <chrono>
#include <iostream>
#include <optional>
#include <spindle.hpp>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
void long_running_task() { spindle::sleep(1h); }

// Copies cm.expired() out when the body is left, however it is left.
struct NoteExpired {
  spindle::Timeout& cm;
  bool& expired;
  ~NoteExpired() { expired = cm.expired(); }
};
}  // namespace

SPINDLE_SAMPLE(timeout_reschedule, "000 Timeout: timeout(None), reschedule(), expired()") {
  bool expired = false;
  try {
    // We do not know the timeout when starting, so we pass std::nullopt.
    spindle::timeout(std::nullopt, [&](spindle::Timeout& cm) {
      NoteExpired note{cm, expired};
      // Now we know it, so we reschedule it.
      spindle::TimePoint new_deadline = spindle::this_loop().time() + 10s;
      cm.reschedule(new_deadline);

      long_running_task();
    });
  } catch (const spindle::TimeoutError&) {
  }

  if (expired) std::cout << "Looks like we haven't finished on time.\n";
}
