// Loop::add_signal_handler / remove_signal_handler: one Asio signal_set per loop holds every signal
// with a handler; one async_wait at a time is outstanding on it and re-armed after each delivery.
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <map>
#include <stdexcept>
#include <string>

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

// Invariant: `counted` (one unit of the loop's external work) is true exactly while `handlers` is
// not empty; `armed` is true while an async_wait is outstanding on `set`.
struct Loop::SignalHandlers {
  explicit SignalHandlers(Loop& l) : loop(l), set(l.io_context()) {}
  ~SignalHandlers() {
    if (counted) loop.remove_external();
    // Destroying `set` cancels the outstanding wait: its handler sees operation_aborted (if it
    // ever runs: the io_context is destroyed next) and touches nothing.
  }

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
    if (counted == handlers.empty()) {
      counted = !handlers.empty();
      if (counted) loop.add_external(); else loop.remove_external();
    }
  }

  Loop& loop;
  boost::asio::signal_set set;
  std::map<int, std::function<void()>> handlers;
  bool armed = false;
  bool counted = false;
};

void Loop::SignalHandlersDeleter::operator()(SignalHandlers* h) const noexcept { delete h; }

void Loop::add_signal_handler(int sig, std::function<void()> fn) {
  detail::check_catchable_signal(sig, "add_signal_handler");
  if (!fn) throw std::invalid_argument("add_signal_handler: empty function");
  if (is_closed()) throw std::logic_error("add_signal_handler: the loop is closed");
  if (!signal_handlers_) signal_handlers_.reset(new SignalHandlers(*this));
  SignalHandlers& h = *signal_handlers_;
  if (!h.handlers.contains(sig)) h.set.add(sig);  // throws system_error if the OS refuses
  h.handlers[sig] = std::move(fn);
  h.update_count();
  h.arm();
}

bool Loop::remove_signal_handler(int sig) {
  detail::check_catchable_signal(sig, "remove_signal_handler");
  if (!signal_handlers_) return false;
  SignalHandlers& h = *signal_handlers_;
  if (h.handlers.erase(sig) == 0) return false;
  boost::system::error_code ignored;
  h.set.remove(sig, ignored);  // the last registration of sig restores SIG_DFL
  h.update_count();
  return true;
}

}  // namespace spindle
