#include "sync/wait.hpp"

#include <stdexcept>

#include "scheduler/timeout.hpp"
#include "sync/detail/completion_watch.hpp"

namespace spindle::detail {

void wait_tasks(const std::vector<lowlevel::Task*>& tasks, const WaitOptions& opts) {
  if (tasks.empty()) throw std::invalid_argument("spindle::wait: the set of tasks is empty");
  const std::optional<TimePoint> deadline = deadline_after(opts.timeout);
  CompletionWatch watch(tasks, "wait");
  watch.wait_until(
      [&](const CompletionWatch& w) {
        switch (opts.return_when) {
          case ReturnWhen::first_completed: return w.finished_count() > 0;
          case ReturnWhen::first_exception: return w.all_finished() || w.first_failure();
          case ReturnWhen::all_completed: break;
        }
        return w.all_finished();
      },
      deadline);
}

}  // namespace spindle::detail
