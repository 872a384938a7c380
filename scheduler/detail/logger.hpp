#pragma once
#include <exception>
#include <string>

#include "fibers/detail/logger.hpp"

namespace spindle::detail {
// The "spindle" spdlog logger (fibers/detail/logger.hpp).
using fibers::detail::logger;
// what() of an exception, for log lines.
std::string describe(const std::exception_ptr& e);
}  // namespace spindle::detail
