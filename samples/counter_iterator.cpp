// 002 异步迭代器: the Counter class with __aiter__/__anext__ counting 1..10. In spindle the
// asynchronous iterator is a Generator (its body may park; count() could sleep as the material's
// commented-out line does) and `async for` is a plain range-for.
#include <iostream>
#include <optional>
#include <spindle.hpp>

#include "common/registry.hpp"

namespace {
// The material's Counter: count() returns the next number, or nothing after 10.
class Counter {
 public:
  std::optional<int> count() {
    // spindle::sleep(1s);  — as in the material, the body may park here
    num_ += 1;
    if (num_ > 10) return std::nullopt;
    return num_;
  }
  // __aiter__ / __anext__: a Generator that yields until count() runs out (StopAsyncIteration).
  spindle::Generator<int> iterate() {
    return spindle::Generator<int>([this](spindle::Yield<int>& yield) {
      while (std::optional<int> val = count()) yield(*val);
    });
  }

 private:
  int num_ = 0;
};
}  // namespace

SPINDLE_SAMPLE(counter_iterator, "002 异步迭代器: Counter counting 1..10") {
  Counter c_obj;
  for (int i : c_obj.iterate()) std::cout << i << '\n';
}
