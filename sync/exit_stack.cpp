#include "sync/exit_stack.hpp"

#include <spdlog/spdlog.h>

#include "fibers/fiber.hpp"
#include "scheduler/detail/logger.hpp"

namespace spindle {

ExitStack& ExitStack::operator=(ExitStack&& o) noexcept {
  if (this != &o) {
    unwind(true);
    entries_ = std::move(o.entries_);
  }
  return *this;
}

ExitStack::~ExitStack() { unwind(true); }

void ExitStack::push(std::function<void()> fn) { callback(std::move(fn)); }

void ExitStack::close() {
  if (std::exception_ptr first = unwind(false)) std::rethrow_exception(first);
}

std::exception_ptr ExitStack::unwind(bool log_errors) {
  std::exception_ptr first;
  while (!entries_.empty()) {
    std::unique_ptr<Entry> e = std::move(entries_.back());
    entries_.pop_back();
    try {
      e->run();
      e.reset();  // an owned object's destructor has run already; this frees the node
    } catch (const fibers::ForcedUnwind&) {
      throw;  // the loop is unwinding this fiber: never swallowed
    } catch (...) {
      if (log_errors) {
        detail::logger().error("ExitStack: a clean-up action threw while the stack was destroyed: {}",
                               detail::describe(std::current_exception()));
      } else if (!first) {
        first = std::current_exception();
      }
    }
  }
  return first;
}

}  // namespace spindle
