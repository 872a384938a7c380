// The main() of every single-sample executable (build/samples/<name>): exactly one sample file is
// linked in beside this one.
#include <cstdio>
#include <exception>
#include <iostream>

#include "common/registry.hpp"
#include "common/runner.hpp"

int main(int argc, char** argv) {
  const auto& all = samples::all_samples();
  if (all.size() != 1) {
    std::cerr << "sample_main: expected exactly one sample linked in, found " << all.size() << '\n';
    return 2;
  }
  const samples::Sample& sample = all.front();
  samples::CommandLine cl;
  if (!samples::parse_command_line(argc, argv, sample.name, cl)) return cl.help ? 0 : 2;
  try {
    auto elapsed = samples::run_sample(sample, cl.options);
    if (cl.report_elapsed) std::printf("elapsed: %.2f s\n", elapsed.count());
  } catch (const std::exception& e) {
    std::cerr << sample.name << ": " << e.what() << '\n';
    return 1;
  }
  return 0;
}
