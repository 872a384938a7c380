#pragma once
// What the hiredis clients of tools/bench/hiredis_compare share: the command line
// (`PORT [clients=100] [seconds=3]`, redis-server on 127.0.0.1), the blocking client loop that runs
// unmodified both in a spindle fiber and in an OS thread, and the result lines.
#include <hiredis/hiredis.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "bench_common.hpp"

namespace hiredis_bench {

constexpr const char* kHost = "127.0.0.1";

struct Options {
  int port = 0;
  int clients = 100;
  double seconds = 3;
};

inline Options parse(int argc, char** argv, int first, const char* usage) {
  Options o;
  if (argc <= first) {
    std::fprintf(stderr, "%s", usage);
    std::exit(2);
  }
  o.port = std::atoi(argv[first]);
  o.clients = static_cast<int>(bench::arg_or(argc, argv, first + 1, 100));
  o.seconds = argc > first + 2 ? std::atof(argv[first + 2]) : 3.0;
  if (o.port <= 0 || o.clients <= 0 || o.seconds <= 0) {
    std::fprintf(stderr, "%s", usage);
    std::exit(2);
  }
  return o;
}

// utime + stime of the whole process, in seconds.
inline double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// A reply that must have come: a null one means the connection failed.
inline void check_reply(redisContext* c, void* reply) {
  if (!reply) throw std::runtime_error(std::string("hiredis: ") + c->errstr);
  freeReplyObject(reply);
}

// One client with hiredis's blocking API: connects, sets its key, then GETs it until `end`.
// Returns the GETs done. The same code runs in a thread and, with spindle-hooks, in a fiber.
inline long blocking_client(const Options& o, int id, bench::Clock::time_point end) {
  redisContext* c = redisConnect(kHost, o.port);
  if (!c || c->err) {
    throw std::runtime_error(std::string("hiredis: connect: ") + (c ? c->errstr : "out of memory"));
  }
  long done = 0;
  try {
    check_reply(c, redisCommand(c, "SET bench:key:%d abc", id));
    while (bench::Clock::now() < end) {
      check_reply(c, redisCommand(c, "GET bench:key:%d", id));
      ++done;
    }
  } catch (...) {
    redisFree(c);
    throw;
  }
  redisFree(c);
  return done;
}

// `hiredis_<mode>_requests N GETs`, `hiredis_<mode>_rps N req/s` (GETs over the wall time from
// before the first connect to the last disconnect) and `hiredis_<mode>_cpu N us/req` (this
// process's CPU time per GET).
inline void report(const char* mode, long requests, double wall_s, double cpu_s) {
  bench::report(std::string("hiredis_") + mode, "requests", static_cast<double>(requests), "GETs");
  bench::report(std::string("hiredis_") + mode, "rps", static_cast<double>(requests) / wall_s,
                "req/s");
  bench::report(std::string("hiredis_") + mode, "cpu", cpu_s * 1e6 / static_cast<double>(requests),
                "us/req");
}

}  // namespace hiredis_bench
