#pragma once
// Introspection: the live task tree, and what every parked fiber waits on.
#include <iosfwd>

namespace spindle {

class Loop;

// Writes the running loop's live tasks as a tree (parent → children): name, id, state, and what
// each parked one waits on and for how long.
void dump_tasks(std::ostream& out);

namespace detail {
// One line per parked fiber: name, id, what it waits on, for how long.
void describe_parked(const Loop& loop, std::ostream& out);
}  // namespace detail

using detail::describe_parked;

}  // namespace spindle
