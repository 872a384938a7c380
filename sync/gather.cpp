#include "sync/gather.hpp"

#include "scheduler/timeout.hpp"
#include "sync/detail/completion_watch.hpp"

namespace spindle::detail {

lowlevel::Task* gather_wait(const std::vector<lowlevel::Task*>& tasks, bool keep_going) {
  CompletionWatch watch(tasks, "gather", keep_going ? nullptr : "gather: another task failed");
  const auto all = [](const CompletionWatch& w) { return w.all_finished(); };
  try {
    watch.wait_until(all, std::nullopt);
  } catch (const CancelledError&) {
    watch.cancel_unfinished("gather: the gathering fiber was cancelled");
    shield([&] { watch.wait_until(all, std::nullopt); });
    throw;
  }
  if (keep_going) return nullptr;
  for (lowlevel::Task* t : tasks) {
    if (t->failed()) t->mark_reported();  // reported through the first failure
  }
  return watch.first_failure();
}

}  // namespace spindle::detail
