// build/samples/tour: every sample, in the order of the material, each under a heading.
// Real clock by default (the sleeps really take their time: about two minutes in all);
// --virtual runs everything at once on the virtual clock with the same output.
// chess_exhibition would take 13 h of real time, so under the real clock the tour runs it with
// every duration scaled by 1/3600 (12 s + 1 s) unless --time-scale says otherwise; its printed
// times stay in exhibition time. Under --virtual it runs unscaled.
#include <array>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string_view>

#include "common/registry.hpp"
#include "common/runner.hpp"

namespace {
constexpr std::array kOrder{
    "say_after_sequential",
    "say_after_tasks",
    "say_after_task_group",
    "nested",
    "factorial",
    "context_manager",
    "exit_stack",
    "timeout",
    "timeout_reschedule",
    "wait_for_eternity",
    "to_thread",
    "synchronous",
    "countasync",
    "rand",
    "chain",
    "chained",
    "powers_of_two",
    "check_sites",
    "create_task_reverse",
    "gather_tasks",
    "as_completed",
    "exception_group",
    "chess_exhibition",
    "func_wait",
    "others_chain",
    "ensure_future",
    "wait_done_pending",
    "future_set_after",
    "counter_iterator",
    "task_names",
    "wait_timeout_cancel",
    "gather_random",
    "wait_for_timeout",
    "queue_join",
    "semaphore_workers",
};
constexpr double kChessRealTimeScale = 1.0 / 3600;

bool has_flag(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == flag) return true;
  return false;
}
}  // namespace

int main(int argc, char** argv) {
  samples::CommandLine cl;
  if (!samples::parse_command_line(argc, argv, "tour", cl)) return cl.help ? 0 : 2;
  bool scale_given = has_flag(argc, argv, "--time-scale");

  int failures = 0;
  std::size_t ran = 0;
  for (std::string_view name : kOrder) {
    const samples::Sample* sample = samples::find_sample(name);
    if (!sample) {
      std::cerr << "tour: sample '" << name << "' is not linked in\n";
      ++failures;
      continue;
    }
    samples::SampleOptions options = cl.options;
    std::cout << "=== " << sample->name << ": " << sample->title << " ===\n";
    if (name == "chess_exhibition" && !options.virtual_clock && !scale_given) {
      options.time_scale = kChessRealTimeScale;
      std::cout << "(real-time tour: chess_exhibition runs scaled by 1/3600, 13 s instead of "
                   "13 h; run build/samples/chess_exhibition --virtual for the exact times)\n";
    }
    std::cout.flush();
    try {
      auto elapsed = samples::run_sample(*sample, options);
      std::printf("(%s: %.2f s of %s time)\n\n", sample->name.data(), elapsed.count(),
                  options.virtual_clock ? "virtual" : "real");
      std::fflush(stdout);
    } catch (const std::exception& e) {
      std::cout << "(" << sample->name << " failed: " << e.what() << ")\n\n";
      ++failures;
    }
    ++ran;
  }
  // A sample linked in but missing from kOrder would silently never run: say so.
  for (const samples::Sample& s : samples::all_samples()) {
    bool listed = false;
    for (std::string_view name : kOrder) listed = listed || name == s.name;
    if (!listed) {
      std::cerr << "tour: sample '" << s.name << "' is not in the tour's order list\n";
      ++failures;
    }
  }
  std::cout << "tour: " << ran << " samples, " << failures << " failures\n";
  return failures == 0 ? 0 : 1;
}
