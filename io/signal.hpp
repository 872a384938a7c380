#pragma once
// wait_signal: park the fiber until one of some POSIX signals arrives (asyncio's
// loop.add_signal_handler + a Future). For a handler that runs every time, see
// Loop::add_signal_handler in scheduler/loop.hpp.
//
//   int sig = spindle::wait_signal({SIGINT, SIGTERM});   // → SIGINT or SIGTERM
//
// The signals are caught only while the call is parked (through an Asio signal_set): one that
// arrives between two calls gets the action it had without spindle — for SIGINT/SIGTERM, the
// default action ends the program — unless a Loop::add_signal_handler or another wait_signal for
// it is installed. When the last catcher of a signal goes, Asio sets its action back to SIG_DFL.
#include <initializer_list>

namespace spindle {

// Parks until one of `signals` arrives; returns its number. Empty list, not a signal, or a signal
// that cannot be caught (SIGKILL, SIGSTOP) or that spindle handles itself (SIGSEGV) →
// std::invalid_argument naming the value. A cancellation point; cancelling it leaves nothing
// installed.
int wait_signal(std::initializer_list<int> signals);

namespace detail {
// Throws std::invalid_argument ("<who>: invalid signal number <sig>") unless a handler can be
// installed for sig: 1 ≤ sig < NSIG, not SIGKILL/SIGSTOP, not SIGSEGV (spindle's overflow report).
void check_catchable_signal(int sig, const char* who);
}  // namespace detail

}  // namespace spindle
