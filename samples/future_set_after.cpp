// 002 asyncio.Future 对象: set_after() sleeps 2 s and then gives main the result "666".
// spindle has no Future yet. The closest existing tool is a Task: a Task *is* the future of its
// fiber's return value, so the fiber that set the future returns "666" instead, and main's get()
// parks until it is there — the same 2 s wait and the same output.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
std::string set_after() {
  spindle::sleep(2s);
  return "666";  // fut.set_result("666")
}
}  // namespace

SPINDLE_SAMPLE(future_set_after, "002 asyncio.Future 对象: a result set by another fiber") {
  // The task is bound to set_after(); after 2 s it finishes with its result, and only then can
  // get() return. Without a result, get() would park forever (spindle reports that as a
  // DeadlockError instead of hanging).
  spindle::Task<std::string> fut = spindle::spawn(set_after);
  std::string data = fut.get();
  std::cout << data << '\n';
}
