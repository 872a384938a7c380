#pragma once
#include <spdlog/logger.h>

namespace spindle::fibers::detail {
// The "spindle" spdlog logger, shared by every layer (created at program start; level from
// SPDLOG_LEVEL). The lowest layer owns it so that fibers/ can log without a possibly null
// spdlog::get("spindle").
spdlog::logger& logger();
}  // namespace spindle::fibers::detail
