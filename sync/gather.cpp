#include "sync/gather.hpp"

#include <memory>

#include "scheduler/lowlevel.hpp"

namespace spindle::detail {
namespace {

struct GatherState {
  std::size_t remaining = 0;
  lowlevel::Task* first_failure = nullptr;
  bool keep_going = false;
  Waiter* waiter = nullptr;
  const std::vector<lowlevel::Task*>* tasks = nullptr;
};

void cancel_all(const std::vector<lowlevel::Task*>& tasks, const char* why) {
  for (lowlevel::Task* t : tasks) t->cancel(why);
}

struct Watch final : lowlevel::DoneObserver {
  GatherState* st = nullptr;
  void on_done(lowlevel::Task& t) override {
    --st->remaining;
    if (t.failed() && !st->first_failure) {
      st->first_failure = &t;
      if (!st->keep_going) cancel_all(*st->tasks, "gather: another task failed");
    }
    if (st->waiter) wake(*st->waiter);
  }
};

void park_until_all_done(GatherState& st) {
  while (st.remaining > 0) {
    Waiter w("gather");
    st.waiter = &w;
    park(w);
    st.waiter = nullptr;
  }
}

}  // namespace

lowlevel::Task* gather_wait(const std::vector<lowlevel::Task*>& tasks, bool keep_going) {
  GatherState st;
  st.keep_going = keep_going;
  st.tasks = &tasks;
  auto watches = std::make_unique<Watch[]>(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i]->done()) {
      if (tasks[i]->failed() && !st.first_failure) st.first_failure = tasks[i];
      continue;
    }
    watches[i].st = &st;
    watches[i].observe(*tasks[i]);
    ++st.remaining;
  }
  if (st.first_failure && !keep_going) cancel_all(tasks, "gather: another task failed");
  try {
    park_until_all_done(st);
  } catch (const CancelledError&) {
    st.waiter = nullptr;
    cancel_all(tasks, "gather: the gathering fiber was cancelled");
    shield([&] { park_until_all_done(st); });
    throw;
  }
  if (!keep_going) {
    for (lowlevel::Task* t : tasks) {
      if (t->failed()) t->mark_reported();  // reported through the first failure
    }
  }
  return keep_going ? nullptr : st.first_failure;
}

}  // namespace spindle::detail
