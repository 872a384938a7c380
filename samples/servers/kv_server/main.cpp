// kv_server: a Redis-protocol (RESP2) key-value server, one fiber per connection.
//   build/samples/servers/kv_server/kv_server --port 6380 &
//   redis-cli -p 6380 SET greeting hello EX 60;  redis-cli -p 6380 GET greeting
//   redis-benchmark -p 6380 -t ping,set,get -c 50 -P 16 -q
// Commands: see commands.hpp. A sweeper fiber drops expired keys nobody reads, 100 ms apart.
#include <chrono>
#include <utility>

#include <spindle.hpp>

#include "connection.hpp"
#include "serve.hpp"
#include "store.hpp"

namespace {
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
constexpr std::size_t kSweepBatch = 1000;  // keys removed between two yields
}  // namespace

int main(int argc, char** argv) {
  const auto args = samples::parse_server_args(argc, argv);
  spindle::run([&] {
    kv::Store store;
    auto server = spindle::start_server(args.host, args.port, [&store](spindle::TcpStream s) {
      kv::serve_connection(std::move(s), store);
    });
    auto sweeper = spindle::spawn(spindle::SpawnOptions{.name = "kv expiry sweep"}, [&store] {
      for (;;) {
        spindle::sleep(kSweepInterval);
        while (store.sweep(kSweepBatch) == kSweepBatch) spindle::yield_now();
      }
    });
    samples::serve_until_signal(server, args);
    sweeper.cancel();
    sweeper.join();
  });
  return 0;
}
