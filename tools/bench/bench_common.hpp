#pragma once
// Helpers shared by the C++ benchmark programs: a monotonic clock, VmHWM, argument parsing and the
// one output format, `workload value unit`.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double ns_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

// Peak resident set size of this process in bytes (VmHWM in /proc/self/status).
inline long long vm_hwm_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long long kb = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      kb = std::atoll(line + 6);
      break;
    }
  }
  std::fclose(f);
  return kb * 1024;
}

inline long arg_or(int argc, char** argv, int i, long dflt) {
  return argc > i ? std::atol(argv[i]) : dflt;
}

inline void report(const std::string& peer, const std::string& workload, double value,
                   const char* unit) {
  std::printf("%s_%s %.6g %s\n", peer.c_str(), workload.c_str(), value, unit);
  std::fflush(stdout);
}

inline int usage(const char* prog) {
  std::fprintf(stderr,
               "usage: %s yield [iterations_per_fiber=1000000]\n"
               "       %s spawn [total=1000000] [batch=1000]\n"
               "       %s idle N\n"
               "       %s pingpong [round_trips=1000000]\n"
               "       %s lock [n=10000000]\n"
               "       %s pipeline [items=1000000]\n"
               "       %s timeout [n=1000000]\n"
               "       %s gather [total=1000000] [batch=1000]\n"
               "       %s to_thread [n=20000] (spindle only)\n"
               "       %s file_read [n=100000] (spindle only)\n",
               prog, prog, prog, prog, prog, prog, prog, prog, prog, prog);
  return 2;
}

// Stack size used for every C++ peer, the same as spindle's default (usable bytes).
constexpr std::size_t kStackSize = 128 * 1024;

}  // namespace bench
