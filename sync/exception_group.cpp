#include "sync/exception_group.hpp"

#include "scheduler/detail/logger.hpp"

namespace spindle {

ExceptionGroup::ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions)
    : message_(std::move(message)), exceptions_(std::move(exceptions)) {
  what_ = message_ + " (" + std::to_string(exceptions_.size()) + " sub-exception" +
          (exceptions_.size() == 1 ? "" : "s") + ")";
  for (const auto& e : exceptions_) what_ += "\n  - " + detail::describe(e);
}

}  // namespace spindle
