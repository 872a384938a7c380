#pragma once
#include <spdlog/logger.h>

#include <exception>
#include <string>

namespace spindle::detail {
// The "spindle" spdlog logger (created at program start; level from SPDLOG_LEVEL).
spdlog::logger& logger();
// what() of an exception, for log lines.
std::string describe(const std::exception_ptr& e);
}  // namespace spindle::detail
