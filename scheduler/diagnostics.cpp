#include "scheduler/diagnostics.hpp"

#include <chrono>
#include <iomanip>
#include <map>
#include <ostream>
#include <vector>

#include "scheduler/loop.hpp"

namespace spindle {
namespace {

double seconds_since(const Loop& loop, TimePoint t) {
  return std::chrono::duration<double>(loop.time() - t).count();
}

void describe_one(const Loop& loop, detail::TaskBase& t, std::ostream& out) {
  out << "'" << t.display_name() << "' (id " << t.id << ") ";
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

}  // namespace

void detail::describe_parked(const Loop& loop, std::ostream& out) {
  loop.for_each_live([&](detail::TaskBase& t) {
    if (!t.waiter) return;
    out << "  ";
    describe_one(loop, t, out);
    out << "\n";
  });
}

void dump_tasks(std::ostream& out) {
  const Loop& loop = this_loop();
  std::map<std::uint64_t, std::vector<detail::TaskBase*>> children;
  std::map<std::uint64_t, bool> live;
  loop.for_each_live([&](detail::TaskBase& t) { live[t.id] = true; });
  loop.for_each_live([&](detail::TaskBase& t) {
    // A task whose parent has finished is shown at the top level.
    children[live.count(t.parent_id) ? t.parent_id : 0].push_back(&t);
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
      describe_one(loop, *t, out);
      out << "\n";
      self(self, t->id, depth + 1);
    }
  };
  print(print, 0, 0);
}

}  // namespace spindle
