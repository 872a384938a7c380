// 002 await 关键字: awaiting a coroutine object. In spindle that is just a call: others() runs
// to the end (sleeping 2 s inside) and returns its value; with no other fiber around, the two
// calls run one after the other, exactly as a synchronous program would — 4 s in all.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
std::string others() {
  std::cout << "start\n";
  spindle::sleep(2s);
  std::cout << "end\n";
  return "success";
}

void func() {
  std::cout << "Coroutine code is running\n";
  std::string resp1 = others();
  std::cout << "IO request ends, response is " << resp1 << '\n';
  std::string resp2 = others();
  std::cout << "IO request ends, response is " << resp2 << '\n';
}
}  // namespace

SPINDLE_SAMPLE(others_chain, "002 await 关键字: others() called twice in a row") { func(); }
