// kv_server: a Redis-protocol (RESP2) key-value server, one fiber per connection.
//   build/samples/servers/kv_server/kv_server --port 6380 &
//   redis-cli -p 6380 SET greeting hello EX 60;  redis-cli -p 6380 GET greeting
//   redis-benchmark -p 6380 -t ping,set,get -c 50 -P 16 -q
// Commands: see commands.hpp; flags (--timeout, --client-query-buffer-limit): options.hpp or
// --help. A sweeper fiber drops expired keys nobody reads, 100 ms apart.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <stdexcept>
#include <utility>

#include "connection.hpp"
#include "options.hpp"
#include "serve.hpp"
#include "store.hpp"

namespace {
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
constexpr std::size_t kSweepBatch = 1000;  // keys removed between two yields
}  // namespace

int main(int argc, char** argv) {
  kv::KvArgs args;
  try {
    args = kv::parse_kv_args(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << argv[0] << ": " << e.what() << '\n' << kv::usage(argv[0]);
    return 2;
  }
  if (args.help) {
    std::cout << kv::usage(argv[0]);
    return 0;
  }
  spindle::run([&] {
    kv::Store store;
    auto server = spindle::start_server(
        args.server.host, args.server.port,
        [&](spindle::TcpStream s) { kv::serve_connection(std::move(s), store, args.connection); });
    auto sweeper = spindle::spawn(spindle::SpawnOptions{.name = "kv expiry sweep"}, [&store] {
      for (;;) {
        spindle::sleep(kSweepInterval);
        while (store.sweep(kSweepBatch) == kSweepBatch) spindle::yield_now();
      }
    });
    samples::serve_until_signal(server, args.server);
    sweeper.cancel();
    sweeper.join();
  });
  return 0;
}
