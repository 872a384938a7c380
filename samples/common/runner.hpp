#pragma once
// Runs one sample as the main fiber of a fresh spindle::run and measures it on spindle's clock.
#include <chrono>
#include <string_view>

#include "common/registry.hpp"

namespace samples {

// Runs the sample under the clock the options ask for; returns the loop time it took (virtual
// seconds under --virtual). The sample's exceptions propagate.
std::chrono::duration<double> run_sample(const Sample& sample, const SampleOptions& options);

// Parses the common flags (--virtual, --report-elapsed, --time-scale X, --seed N, --help) into
// `options`. Returns false (after printing usage to stderr) on --help or a bad flag.
struct CommandLine {
  SampleOptions options;
  bool report_elapsed = false;
  bool help = false;
};
bool parse_command_line(int argc, char** argv, std::string_view program, CommandLine& out);

}  // namespace samples
