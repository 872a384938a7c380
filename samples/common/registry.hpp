#pragma once
// The sample registry: every sample file registers one entry (name, the heading it has in the
// asyncio material, and the function that is its program). sample_main.cpp turns one entry into
// an executable; tour.cpp runs them all. The function runs as the main fiber of a spindle::run.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace samples {

struct SampleOptions {
  bool virtual_clock = false;  // ClockKind::virtual_time: sleeps return at once, now() stays exact
  double time_scale = 1.0;  // multiplies a sample's long durations (only chess_exhibition has any)
  std::uint64_t seed = 0;   // for samples that draw random numbers (none of the current ones)
  std::vector<std::string> args;  // the command line's other words (check_sites: URLs)
};

using SampleFn = void (*)(const SampleOptions&);

struct Sample {
  std::string_view name;   // file name and executable name, e.g. "countasync"
  std::string_view title;  // the heading in the material, e.g. "001 Async I/O: countasync.py"
  SampleFn fn;
};

// Every sample linked into this program, in registration order (which is unspecified across files).
const std::vector<Sample>& all_samples();
const Sample* find_sample(std::string_view name);

struct Registration {
  Registration(std::string_view name, std::string_view title, SampleFn fn);
};

}  // namespace samples

// SPINDLE_SAMPLE(countasync, "title") { body }  defines
// void sample_countasync(const samples::SampleOptions& options) and registers it.
#define SPINDLE_SAMPLE(name, title)                                                            \
  void sample_##name(const samples::SampleOptions& options);                                   \
  static const samples::Registration sample_registration_##name(#name, title, &sample_##name); \
  void sample_##name([[maybe_unused]] const samples::SampleOptions& options)
