// 001 异步迭代器、循环、列表推导式: the asynchronous generator powers_of_two() is a
// spindle::Generator whose body sleeps 0.2 s after each value; range-for is `async for`, and a
// std::views::filter is the comprehension's `if`. Prints [1, 2, 4, 8, 16] and [1, 2, 16]; 2 s.
#include <chrono>
#include <iostream>
#include <ranges>
#include <spindle.hpp>
#include <string>
#include <vector>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
spindle::Generator<int> powers_of_two(int stop = 10) {
  return spindle::Generator<int>([stop](spindle::Yield<int>& yield) {
    int exponent = 0;
    while (exponent < stop) {
      yield(1 << exponent);
      exponent += 1;
      spindle::sleep(200ms);  // simulate some asynchronous work
    }
  });
}

std::string to_list(const std::vector<int>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}
}  // namespace

SPINDLE_SAMPLE(powers_of_two, "001 异步迭代器: powers_of_two") {
  std::vector<int> g;
  for (int i : powers_of_two(5)) g.push_back(i);
  std::cout << to_list(g) << '\n';
  std::vector<int> f;
  for (int j : powers_of_two(5) | std::views::filter([](int j) { return !(j / 3 % 5); }))
    f.push_back(j);
  std::cout << to_list(f) << '\n';
}
