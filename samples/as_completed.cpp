// 001 其他 asyncio 工具: asyncio.as_completed([task1, task2]). The tasks come out in the order
// they finish: coro([3, 2, 1]) after 1 s, then coro([10, 5, 2]) after 2 s, each as soon as it is
// done.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock_string.hpp"
#include "common/registry.hpp"

using samples::clock_string;

namespace {
std::vector<int> coro(std::vector<int> numbers) {
  spindle::sleep(std::chrono::seconds(std::ranges::min(numbers)));
  std::ranges::reverse(numbers);
  return numbers;
}

std::string_view py_bool(bool b) { return b ? "True" : "False"; }
std::string py_list(const std::vector<int>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}
}  // namespace

SPINDLE_SAMPLE(as_completed, "001 其他 asyncio 工具: as_completed() yields in finish order") {
  auto task1 = spindle::spawn(coro, std::vector<int>{10, 5, 2});
  auto task2 = spindle::spawn(coro, std::vector<int>{3, 2, 1});
  std::cout << "Start: " << clock_string() << '\n';
  for (const auto& task : spindle::as_completed(std::vector{task1, task2})) {
    std::vector<int> result = task.get();
    std::cout << "result: " << py_list(result) << " completed at " << clock_string() << '\n';
  }
  std::cout << "End: " << clock_string() << '\n';
  std::cout << "Both tasks done: " << py_bool(task1.done() && task2.done()) << '\n';
}
