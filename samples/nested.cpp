// 000 可等待对象 (and 004 Quick start 3: Coroutines): a fiber function that returns 42.
// In asyncio, calling nested() without await only makes a coroutine object that never runs (and
// warns). spindle has no such object: nested() is an ordinary function, so calling it runs it and
// its value can be used directly — there is nothing to forget to await.
#include <iostream>
#include <spindle.hpp>

#include "common/registry.hpp"

namespace {
int nested() { return 42; }
}  // namespace

SPINDLE_SAMPLE(nested, "000 可等待对象: nested() returns 42") {
  std::cout << nested() << '\n';  // will print "42".
}
