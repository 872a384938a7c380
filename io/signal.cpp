#include "io/signal.hpp"

#include <signal.h>

#include <boost/asio/signal_set.hpp>
#include <stdexcept>
#include <string>

#include "io/use_fiber.hpp"
#include "scheduler/loop.hpp"

namespace spindle {

void detail::check_catchable_signal(int sig, const char* who) {
  if (sig <= 0 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV) {
    std::string msg = who;
    msg += ": invalid signal number ";
    msg += std::to_string(sig);
    throw std::invalid_argument(msg);
  }
}

int wait_signal(std::initializer_list<int> signals) {
  if (signals.size() == 0) throw std::invalid_argument("wait_signal: no signal given");
  for (int sig : signals) detail::check_catchable_signal(sig, "wait_signal");
  boost::asio::signal_set set(this_loop().io_context());
  for (int sig : signals) set.add(sig);
  return set.async_wait(use_fiber.named("wait_signal"));
}

}  // namespace spindle
