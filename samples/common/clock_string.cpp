#include "common/clock_string.hpp"

#include <chrono>
#include <ctime>
#include <spindle.hpp>

namespace samples {
namespace {
struct RunStart {
  const spindle::Loop* loop = nullptr;
  std::chrono::system_clock::time_point wall{};
  spindle::TimePoint loop_time{};
};
RunStart start;  // the samples run on one thread, one run at a time
}  // namespace

void mark_run_start() {
  start.loop = &spindle::this_loop();
  start.wall = std::chrono::system_clock::now();
  start.loop_time = spindle::now();
}

std::string clock_string() {
  if (start.loop == nullptr) mark_run_start();
  auto since = std::chrono::duration_cast<std::chrono::system_clock::duration>(spindle::now() -
                                                                               start.loop_time);
  std::time_t t = std::chrono::system_clock::to_time_t(start.wall + since);
  std::tm local{};
  localtime_r(&t, &local);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%X", &local);
  return std::string(buf, n);
}

}  // namespace samples
