// TCP echo peer: Boost.Fiber (round-robin scheduler) + Asio, one thread, one fiber per connection.
//   echo_boost_fiber [--host H] [--port N]
//
// Integration: the loop of Boost.Fiber's examples/asio/round_robin.hpp — `poll()` the io_context
// while fibers are ready and yield to them, a blocking `run_one()` when none is — run by the main
// fiber instead of from inside a handler posted to io_context::run() as the example does (with the
// single-threaded concurrency hint that nested run_one() never sees the operations Asio queues
// privately for the outer run(), and the server stalls after a round trip: see DESIGN.md). Each
// completion handler only marks the fiber that started the operation ready, so no fiber switch and
// no Asio call ever happens inside a handler.
#include <boost/fiber/all.hpp>

#include <array>

#include "bench_common.hpp"
#include "io_common.hpp"

namespace {

using namespace iobench;
namespace bf = boost::fibers;

// The completion handler of every operation: records the result and marks the fiber that started
// the operation ready. Callable as (ec) for accept and (ec, bytes) for reads and writes.
struct Resume {
  bf::context* fiber;
  boost::system::error_code* ec;
  std::size_t* bytes;
  void operator()(boost::system::error_code e, std::size_t n = 0) const {
    *ec = e;
    *bytes = n;
    bf::context::active()->schedule(fiber);
  }
};

// Starts an Asio operation and parks the fiber until its handler has run. Handlers only run inside
// the main fiber's poll()/run_one(), never inline here, so the fiber is always parked by the time
// its handler marks it ready.
template <class Initiate>
std::size_t await(Initiate initiate, boost::system::error_code& ec) {
  std::size_t bytes = 0;
  initiate(Resume{bf::context::active(), &ec, &bytes});
  bf::context::active()->suspend();
  return bytes;
}

void echo(tcp::socket s) {
  std::array<char, 4096> buf;
  boost::system::error_code ec;
  for (;;) {
    const std::size_t n =
        await([&](auto h) { s.async_read_some(asio::buffer(buf), h); }, ec);
    if (ec) return;
    await([&](auto h) { asio::async_write(s, asio::buffer(buf, n), h); }, ec);
    if (ec) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const ServerArgs args = parse_args(argc, argv);
  asio::io_context io(1);
  tcp::acceptor acc = listen(io, args);
  asio::signal_set signals(io);
  stop_on_signals(io, signals);
  bf::pooled_fixedsize_stack stacks(bench::kStackSize);

  bf::fiber([&] {
    for (;;) {
      tcp::socket s(io);
      boost::system::error_code ec;
      await([&](auto h) { acc.async_accept(s, h); }, ec);
      if (ec == asio::error::operation_aborted) return;
      if (ec) continue;
      no_delay(s);
      bf::fiber(std::allocator_arg, stacks, echo, std::move(s)).detach();
    }
  }).detach();

  while (!io.stopped()) {
    if (bf::has_ready_fibers()) {
      io.poll();
      boost::this_fiber::yield();
    } else {
      io.run_one();
    }
  }
  // The connection fibers are parked in Asio operations that will never complete now, and
  // Boost.Fiber's scheduler would wait for them forever at thread exit: leave without unwinding.
  std::fflush(stdout);
  std::_Exit(0);
}
