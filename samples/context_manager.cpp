// 002 异步上下文管理 (and 000 asynccontextmanager): an asynchronous context manager is an RAII
// object whose constructor is __aenter__ and whose destructor is __aexit__; both may park (here
// __aexit__ sleeps 1 s, shielded so it also completes under cancellation). `async with ... as acm`
// is a plain block. 1 s in all.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <string>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
class AsyncioContextManager {
 public:
  explicit AsyncioContextManager(std::string vars) : vars_(std::move(vars)) {
    std::cout << "调用__aenter__方法\n";
  }
  AsyncioContextManager(const AsyncioContextManager&) = delete;
  AsyncioContextManager& operator=(const AsyncioContextManager&) = delete;
  ~AsyncioContextManager() {
    std::cout << "调用__aexit__方法\n";
    spindle::shield([] { spindle::sleep(1s); });
  }
  std::string do_something() const { return vars_; }

 private:
  std::string vars_;
};
}  // namespace

SPINDLE_SAMPLE(context_manager, "002 异步上下文管理: __aenter__/__aexit__ as RAII") {
  {
    AsyncioContextManager acm("test");  // async with AsyncioContextManager("test") as acm:
    std::cout << "进入async with语句块\n";
    std::string res = acm.do_something();
    std::cout << res << '\n';
  }
}
