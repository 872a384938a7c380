// Signals: wait_signal and Loop::add_signal_handler / remove_signal_handler.
#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "../support.hpp"
#include "io/signal.hpp"

namespace {

// The message of the std::invalid_argument `f` throws ("" if none).
template <class F>
std::string invalid_argument_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_SUITE("signal") {

TEST_CASE("wait_signal returns SIGUSR1 raised from a loop callback") {
  const int got = spindle::run([] {
    spindle::this_loop().call_soon([] { ::raise(SIGUSR1); });
    return spindle::wait_signal({SIGUSR1});
  });
  CHECK(got == SIGUSR1);
}

TEST_CASE("wait_signal returns the one of several that kill(getpid()) from a fiber sent") {
  const int got = spindle::run([] {
    auto sender = spindle::spawn([] { ::kill(::getpid(), SIGUSR2); });
    const int sig = spindle::wait_signal({SIGUSR1, SIGUSR2});
    sender.get();
    return sig;
  });
  CHECK(got == SIGUSR2);
}

TEST_CASE("wait_signal is cancellable and then leaves nothing installed") {
  spindle::run([] {
    auto t = spindle::spawn([] { return spindle::wait_signal({SIGUSR1}); });
    spindle::yield_now();  // t parks in wait_signal
    CHECK(!t.done());
    t.cancel();
    t.join();
    CHECK(t.cancelled());
  });
  struct sigaction now {};
  ::sigaction(SIGUSR1, nullptr, &now);
  CHECK((now.sa_handler == SIG_DFL));
}

TEST_CASE("add_signal_handler runs fn as a callback each time; remove stops it") {
  spindle::run([] {
    auto& loop = spindle::this_loop();
    int calls = 0;
    spindle::Event ran;
    loop.add_signal_handler(SIGUSR1, [&] {
      ++calls;
      ran.set();
    });
    for (int i = 1; i <= 3; ++i) {
      ran.clear();
      loop.call_soon([] { ::raise(SIGUSR1); });
      ran.wait();
      CHECK(calls == i);
    }
    // Replacing the function keeps the signal caught.
    int replaced = 0;
    loop.add_signal_handler(SIGUSR1, [&] {
      ++replaced;
      ran.set();
    });
    ran.clear();
    ::raise(SIGUSR1);
    ran.wait();
    CHECK(replaced == 1);
    CHECK(calls == 3);

    CHECK(loop.remove_signal_handler(SIGUSR1));
    CHECK(!loop.remove_signal_handler(SIGUSR1));
    // Still caught by a wait_signal, but the removed handler no longer runs.
    loop.call_soon([] { ::raise(SIGUSR1); });
    CHECK(spindle::wait_signal({SIGUSR1}) == SIGUSR1);
    spindle::yield_now();
    spindle::yield_now();
    CHECK(replaced == 1);
  });
}

TEST_CASE("a handler runs as a callback, outside the signal handler, on the loop's thread") {
  spindle::run([] {
    auto& loop = spindle::this_loop();
    std::thread::id where;
    bool in_fiber = true;
    spindle::Event ran;
    loop.add_signal_handler(SIGUSR2, [&] {
      where = std::this_thread::get_id();
      in_fiber = loop.current() != nullptr;
      ran.set();
    });
    // Sent from another thread while the main fiber is parked: an installed handler counts as
    // outside work, so this is not a deadlock.
    std::thread sender([] { ::kill(::getpid(), SIGUSR2); });
    ran.wait();
    sender.join();
    CHECK(where == std::this_thread::get_id());
    CHECK(!in_fiber);
    loop.remove_signal_handler(SIGUSR2);
  });
}

TEST_CASE("handlers are removed when the loop closes") {
  spindle::run([] {
    spindle::this_loop().add_signal_handler(SIGUSR1, [] {});
  });
  struct sigaction now {};
  ::sigaction(SIGUSR1, nullptr, &now);
  CHECK((now.sa_handler == SIG_DFL));
  spindle::run([] { CHECK(!spindle::this_loop().remove_signal_handler(SIGUSR1)); });
}

TEST_CASE("invalid signal numbers: std::invalid_argument naming the value") {
  spindle::run([] {
    auto& loop = spindle::this_loop();
    CHECK(invalid_argument_of([&] { loop.add_signal_handler(0, [] {}); }).find(" 0") != std::string::npos);
    CHECK(invalid_argument_of([&] { loop.add_signal_handler(1000, [] {}); }).find("1000") != std::string::npos);
    CHECK(invalid_argument_of([&] { loop.add_signal_handler(SIGKILL, [] {}); })
              .find(std::to_string(SIGKILL)) != std::string::npos);
    CHECK(invalid_argument_of([&] { loop.remove_signal_handler(-3); }).find("-3") != std::string::npos);
    CHECK(invalid_argument_of([] { spindle::wait_signal({SIGUSR1, 99999}); }).find("99999") != std::string::npos);
    CHECK(invalid_argument_of([] { spindle::wait_signal({SIGSTOP}); }).find(std::to_string(SIGSTOP)) !=
          std::string::npos);
    CHECK_THROWS_AS(spindle::wait_signal({}), std::invalid_argument);
  });
}

}  // TEST_SUITE
