#pragma once
// time.strftime('%X') on spindle's clock: the wall-clock time at the start of the run plus the
// loop time elapsed since (spindle::now() - start). Under the real clock this is the wall clock;
// under the virtual clock the printed times differ by exactly the virtual time that passed.
#include <string>

namespace samples {

// Records "now" on both clocks; call it first thing in the main fiber of each run.
void mark_run_start();
// %X (HH:MM:SS in the C locale) of the current loop time. Needs a running loop; marks the run
// start itself if mark_run_start() was never called.
std::string clock_string();

}  // namespace samples
