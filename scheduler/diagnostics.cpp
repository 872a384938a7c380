#include "scheduler/diagnostics.hpp"

#include <chrono>
#include <iomanip>
#include <map>
#include <ostream>
#include <utility>
#include <vector>

#include "scheduler/loop.hpp"

namespace spindle {

// What introspection reads of the tasks and the loop (a friend of both).
struct detail::TaskDiagnostics {
  template <class F>
  static void for_each_live(const Loop& loop, F&& f) {
    loop.for_each_live(std::forward<F>(f));
  }
  static bool parked(const TaskBase& t) { return t.waiter != nullptr; }
  static std::uint64_t parent_id(const TaskBase& t) { return t.parent_id; }
  static void describe(const Loop& loop, TaskBase& t, std::ostream& out);
};

namespace {
double seconds_since(const Loop& loop, TimePoint t) {
  return std::chrono::duration<double>(loop.time() - t).count();
}
}  // namespace

void detail::TaskDiagnostics::describe(const Loop& loop, TaskBase& t, std::ostream& out) {
  out << t.label() << ' ';
  if (t.waiter) {
    out << "parked on " << t.waiter->what() << " for " << std::fixed << std::setprecision(3)
        << seconds_since(loop, t.parked_since) << " s";
  } else if (t.queued) {
    out << "ready";
  } else if (loop.current() == &t) {
    out << "running";
  } else {
    out << (t.state == detail::TaskBase::State::pending ? "not started" : "suspended");
  }
  if (t.root_scope.cancel_called()) out << " [cancel requested]";
}

void detail::describe_parked(const Loop& loop, std::ostream& out) {
  TaskDiagnostics::for_each_live(loop, [&](TaskBase& t) {
    if (!TaskDiagnostics::parked(t)) return;
    out << "  ";
    TaskDiagnostics::describe(loop, t, out);
    out << "\n";
  });
}

void dump_tasks(std::ostream& out) {
  const Loop& loop = this_loop();
  std::map<std::uint64_t, std::vector<detail::TaskBase*>> children;
  std::map<std::uint64_t, bool> live;
  using detail::TaskDiagnostics;
  TaskDiagnostics::for_each_live(loop, [&](detail::TaskBase& t) { live[t.id] = true; });
  TaskDiagnostics::for_each_live(loop, [&](detail::TaskBase& t) {
    // A task whose parent has finished is shown at the top level.
    const std::uint64_t parent = TaskDiagnostics::parent_id(t);
    children[live.count(parent) ? parent : 0].push_back(&t);
  });
  for (auto& [id, v] : children) {
    std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->id < b->id; });
  }
  out << "tasks (" << loop.live_tasks() << " live):\n";
  auto print = [&](auto& self, std::uint64_t parent, int depth) -> void {
    auto it = children.find(parent);
    if (it == children.end()) return;
    for (detail::TaskBase* t : it->second) {
      out << std::string(2 * (depth + 1), ' ');
      TaskDiagnostics::describe(loop, *t, out);
      out << "\n";
      self(self, t->id, depth + 1);
    }
  };
  print(print, 0, 0);
}

}  // namespace spindle
