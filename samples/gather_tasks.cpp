// 001 其他 asyncio 工具: asyncio.gather(task1, task2). Two tasks already spawned are gathered;
// gather() waits for both (2 s: the longer sleeps min([10, 5, 2]) = 2 s) and gives their results
// in argument order, not finish order.
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

// Python's spelling, so the lines read as in the material.
std::string_view py_bool(bool b) { return b ? "True" : "False"; }
std::string py_list(const std::vector<int>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::vector<std::vector<int>> main_() {
  auto task1 = spindle::spawn(coro, std::vector<int>{10, 5, 2});
  auto task2 = spindle::spawn(coro, std::vector<int>{3, 2, 1});
  std::cout << "Start: " << clock_string() << '\n';
  auto result = spindle::gather(std::vector{task1, task2});
  std::cout << "End: " << clock_string() << '\n';
  std::cout << "Both tasks done: " << py_bool(task1.done() && task2.done()) << '\n';
  return result;
}
}  // namespace

SPINDLE_SAMPLE(gather_tasks, "001 其他 asyncio 工具: gather(task1, task2) keeps argument order") {
  std::vector<std::vector<int>> result = main_();
  std::string s = "[";
  for (std::size_t i = 0; i < result.size(); ++i) s += (i ? ", " : "") + py_list(result[i]);
  std::cout << "result: " << s << "]\n";
}
