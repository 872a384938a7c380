#include "fibers/detail/logger.hpp"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace spindle::fibers::detail {
namespace {
std::shared_ptr<spdlog::logger> make_logger() {
  auto l = spdlog::get("spindle");
  if (!l) l = spdlog::stderr_color_mt("spindle");
  spdlog::cfg::load_env_levels();
  return l;
}
// Created during static initialisation so spdlog::get("spindle") works before any run().
const std::shared_ptr<spdlog::logger> g_logger = make_logger();
}  // namespace

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> l = g_logger ? g_logger : make_logger();
  return *l;
}

}  // namespace spindle::fibers::detail
