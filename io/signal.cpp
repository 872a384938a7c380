#include "io/signal.hpp"

#include <boost/asio/signal_set.hpp>
#include <stdexcept>

#include "io/use_fiber.hpp"
#include "scheduler/loop.hpp"

namespace spindle {

int wait_signal(std::initializer_list<int> signals) {
  if (signals.size() == 0) throw std::invalid_argument("wait_signal: no signal given");
  for (int sig : signals) detail::check_catchable_signal(sig, "wait_signal");
  boost::asio::signal_set set(this_loop().io_context());
  for (int sig : signals) set.add(sig);
  return set.async_wait(use_fiber.named("wait_signal"));
}

}  // namespace spindle
