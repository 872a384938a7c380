#include "scheduler/detail/logger.hpp"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "scheduler/errors.hpp"

namespace spindle::detail {
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

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (const CancelledError& c) {
    return std::string("CancelledError: ") + c.what();
  } catch (...) {  // a stored exception_ptr, rethrown here only to read it: never a forced unwind
    return "unknown exception";
  }
}

}  // namespace spindle::detail
