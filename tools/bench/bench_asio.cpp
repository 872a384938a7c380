// Boost.Asio peer for the `timeout` workload: arm + cancel of a steady_timer whose deadline is far
// away, n times, on one io_context (the epoll reactor: arming a timer that becomes the earliest,
// and cancelling it, each reprogram the timerfd — a syscall).
//   bench_asio timeout [n]   expires_after(1 h) + async_wait + cancel   -> ns/op
// The cancelled waits' handlers (operation_aborted) are run by io_context::poll() every 1,024
// operations, inside the timed loop, so they do not pile up.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdlib>
#include <string>

#include "bench_common.hpp"

namespace {

void bench_timeout(long n) {
  boost::asio::io_context io;
  boost::asio::steady_timer timer(io);
  long aborted = 0;
  auto on_wait = [&aborted](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) ++aborted;
  };
  auto op = [&] {
    timer.expires_after(std::chrono::hours(1));
    timer.async_wait(on_wait);
    timer.cancel();
  };
  for (long i = 0; i < 1024; ++i) op();  // warm-up
  io.poll();
  io.restart();
  const auto t0 = bench::Clock::now();
  for (long i = 0; i < n; ++i) {
    op();
    if ((i & 1023) == 1023) {
      io.poll();
      io.restart();
    }
  }
  io.poll();
  const double ns = bench::ns_since(t0);
  if (aborted != n + 1024) std::abort();
  bench::report("asio", "timeout", ns / static_cast<double>(n), "ns/op");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "timeout") return bench::usage(argv[0]);
  bench_timeout(bench::arg_or(argc, argv, 2, 1'000'000));
  return 0;
}
