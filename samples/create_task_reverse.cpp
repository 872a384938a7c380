// 001 其他 asyncio 工具: create_task(coro([3, 2, 1])). The task is only queued by spawn(), so it
// is not done yet when main looks; main then gets its result, the list reversed after sleeping
// min(numbers) = 1 s.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/registry.hpp"

namespace {
std::vector<int> coro(std::vector<int> numbers) {
  spindle::sleep(std::chrono::seconds(std::ranges::min(numbers)));
  std::ranges::reverse(numbers);
  return numbers;
}

// The type's name as the compiler spells it (Python's type(task)).
template <class T>
constexpr std::string_view type_name() {
  std::string_view f = __PRETTY_FUNCTION__;  // "... [with T = X; std::string_view = ...]"
  auto begin = f.find("T = ") + 4;
  return f.substr(begin, f.find_first_of(";]", begin) - begin);
}

// Python's spelling, so the lines read as in the material.
std::string_view py_bool(bool b) { return b ? "True" : "False"; }

std::string py_list(const std::vector<int>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::vector<int> main_() {
  auto task = spindle::spawn(coro, std::vector<int>{3, 2, 1});
  std::cout << "type(task) = <class '" << type_name<decltype(task)>() << "'>\n";
  std::cout << "task.done() = " << py_bool(task.done()) << '\n';
  return task.get();
}
}  // namespace

SPINDLE_SAMPLE(create_task_reverse, "001 其他 asyncio 工具: create_task, done(), await task") {
  std::vector<int> result = main_();
  std::cout << "result: " << py_list(result) << '\n';
}
