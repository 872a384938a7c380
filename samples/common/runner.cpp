#include "common/runner.hpp"

#include <cstdlib>
#include <iostream>
#include <spindle.hpp>
#include <string>

#include "common/clock_string.hpp"

namespace samples {

std::chrono::duration<double> run_sample(const Sample& sample, const SampleOptions& options) {
  // Under the virtual clock, time also jumps while real I/O is pending once the reactor has been
  // quiet for 5 ms (check_sites' local server "sleeps" between answers).
  spindle::RunOptions run_options{.clock = options.virtual_clock ? spindle::ClockKind::virtual_time
                                                                 : spindle::ClockKind::real,
                                  .autojump_threshold = std::chrono::milliseconds(5)};
  std::chrono::duration<double> elapsed{};
  spindle::run(run_options, [&] {
    mark_run_start();
    spindle::TimePoint start = spindle::now();
    sample.fn(options);
    elapsed = spindle::now() - start;
  });
  return elapsed;
}

namespace {
void usage(std::string_view program) {
  std::cerr << "usage: " << program
            << " [--virtual] [--report-elapsed] [--time-scale X] [--seed N] [ARG...]\n"
               "  --virtual         run under spindle's virtual clock (sleeps return at once)\n"
               "  --report-elapsed  print a last line 'elapsed: X.XX s' of loop time\n"
               "  --time-scale X    multiply the long durations of a sample (chess_exhibition)\n"
               "  --seed N          seed for samples that draw random numbers\n";
}
}  // namespace

bool parse_command_line(int argc, char** argv, std::string_view program, CommandLine& out) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view flag) -> const char* {
      if (i + 1 >= argc) {
        std::cerr << program << ": " << flag << " needs a value\n";
        return nullptr;
      }
      return argv[++i];
    };
    if (arg == "--virtual") {
      out.options.virtual_clock = true;
    } else if (arg == "--report-elapsed") {
      out.report_elapsed = true;
    } else if (arg == "--time-scale") {
      const char* v = value(arg);
      if (!v) return false;
      char* end = nullptr;
      out.options.time_scale = std::strtod(v, &end);
      if (*end != '\0' || !(out.options.time_scale > 0)) {
        std::cerr << program << ": --time-scale wants a positive number, got '" << v << "'\n";
        return false;
      }
    } else if (arg == "--seed") {
      const char* v = value(arg);
      if (!v) return false;
      char* end = nullptr;
      out.options.seed = std::strtoull(v, &end, 10);
      if (*end != '\0') {
        std::cerr << program << ": --seed wants an unsigned integer, got '" << v << "'\n";
        return false;
      }
    } else if (arg == "--help" || arg == "-h") {
      usage(program);
      out.help = true;
      return false;
    } else if (!arg.starts_with('-')) {
      out.options.args.emplace_back(arg);
    } else {
      std::cerr << program << ": unknown argument '" << arg << "'\n";
      usage(program);
      return false;
    }
  }
  return true;
}

}  // namespace samples
