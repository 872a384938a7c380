// Loop::add_signal_handler / remove_signal_handler, on a per-loop service: one Asio signal_set per
// loop holds every signal with a handler; one async_wait at a time is outstanding on it and
// re-armed after each delivery.
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <map>
#include <stdexcept>

#include "io/signal.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/lowlevel.hpp"
#include "scheduler/service.hpp"

namespace spindle {
namespace {

// Invariant: `outstanding` (the loop counts it as work from outside) is held exactly while
// `handlers` is not empty; `armed` is true while an async_wait is outstanding on `set`.
struct SignalHandlers : Service {
  explicit SignalHandlers(Loop& l) : loop(l), set(l.io_context()) {}
  // Destroying `set` cancels the outstanding wait: its handler sees operation_aborted (if it
  // ever runs: the io_context is destroyed next) and touches nothing.

  void arm() {
    if (armed) return;
    armed = true;
    set.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec == boost::asio::error::operation_aborted) return;  // `this` may be gone
      armed = false;
      if (ec) return;
      if (auto it = handlers.find(sig); it != handlers.end()) loop.call_soon(it->second);
      if (!handlers.empty()) arm();
    });
  }
  void update_count() {
    if (handlers.empty()) {
      outstanding.release();
    } else if (!outstanding.held()) {
      outstanding = lowlevel::Outstanding(loop);
    }
  }

  Loop& loop;
  boost::asio::signal_set set;
  std::map<int, std::function<void()>> handlers;
  bool armed = false;
  lowlevel::Outstanding outstanding;
};

}  // namespace

void Loop::add_signal_handler(int sig, std::function<void()> fn) {
  detail::check_catchable_signal(sig, "add_signal_handler");
  if (!fn) throw std::invalid_argument("add_signal_handler: empty function");
  if (is_closed()) throw std::logic_error("add_signal_handler: the loop is closed");
  SignalHandlers& h = use_service<SignalHandlers>(*this);
  if (!h.handlers.contains(sig)) h.set.add(sig);  // throws system_error if the OS refuses
  h.handlers[sig] = std::move(fn);
  h.update_count();
  h.arm();
}

bool Loop::remove_signal_handler(int sig) {
  detail::check_catchable_signal(sig, "remove_signal_handler");
  SignalHandlers* h = find_service<SignalHandlers>(*this);
  if (!h || h->handlers.erase(sig) == 0) return false;
  boost::system::error_code ignored;
  h->set.remove(sig, ignored);  // the last registration of sig restores SIG_DFL
  h->update_count();
  return true;
}

}  // namespace spindle
