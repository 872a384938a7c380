#include "scheduler/lowlevel.hpp"

#include <stdexcept>
#include <string>

namespace spindle::lowlevel {

void detail::throw_not_in_fiber(Api api) {
  this_loop();  // throws if there is no running loop at all
  std::string name = api.owner;
  if (api.op) name = name + "::" + api.op;
  throw std::logic_error("spindle::" + name + " called from a loop callback: only fibers can park");
}

}  // namespace spindle::lowlevel
