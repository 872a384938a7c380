// Idle memory comes back: after a burst of fibers, a loop that then only waits (one long sleep, no
// turning) still gives their cold stacks back to the kernel. Trims run on the loop's clock, so the
// virtual clock jumps through them and the first test needs no real waiting. The others are about
// the real clock: a loop parked with no timer at all, only waiting for another thread.
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#include "support.hpp"

using namespace spindle;
using namespace spindle_test;
using namespace std::chrono_literals;

namespace {
#if defined(__SANITIZE_ADDRESS__)
constexpr int kFibers = 20'000;  // ASan's per-fiber bookkeeping makes the full burst slow
#else
constexpr int kFibers = 100'000;
#endif

// Ends kFibers fibers that each touched a page of their stack.
void burst() {
  std::vector<Task<void>> tasks;
  tasks.reserve(kFibers);
  for (int i = 0; i < kFibers; ++i) tasks.push_back(spawn([] { yield_now(); }));
  for (auto& t : tasks) t.get();
}

// At least 3/4 of a page per fiber came back (what stays is the tasks' heap memory, which malloc
// keeps for reuse).
constexpr std::size_t kReturned = kFibers * std::size_t{3072};

struct ParkedWatch {
  std::size_t rss = 0;                         // the RSS the watcher saw last
  std::chrono::steady_clock::duration took{};  // how long the loop was parked
};

// Parks the calling fiber, with no timer armed, until the RSS falls below `target` or 10 s passed
// (a bound, not a speed target). Another thread watches the RSS every 50 ms and tells the loop
// through call_soon_threadsafe, so only the trims the loop schedules for itself can wake it.
ParkedWatch watch_rss_while_parked(std::size_t target) {
  Loop& loop = this_loop();
  const auto token = loop.keep_alive();
  Future<std::size_t> observed;
  const auto start = std::chrono::steady_clock::now();
  std::thread watcher([&loop, &observed, target] {
    std::size_t rss = resident_bytes();
    for (int i = 0; i < 200 && rss >= target; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      rss = resident_bytes();
    }
    loop.call_soon_threadsafe([&observed, rss] { observed.set_result(rss); });
  });
  const std::size_t seen = observed.get();
  const auto took = std::chrono::steady_clock::now() - start;
  watcher.join();
  return {seen, took};
}
}  // namespace

TEST_SUITE("idle_memory") {

TEST_CASE("after 100,000 fibers end, a loop parked on one long sleep returns their stacks") {
  std::size_t before = 0, after_burst = 0, after_sleep = 0;
  run_virtual([&] {
    before = resident_bytes();
    burst();
    after_burst = resident_bytes();
    const TimePoint start = now();
    sleep(3600s);  // one wait: the loop only wakes for the trims it needs
    CHECK(now() - start == 3600s);
    after_sleep = resident_bytes();
  });
  MESSAGE("RSS before ", before >> 20, " MiB, after the burst ", after_burst >> 20,
          " MiB, after the sleep ", after_sleep >> 20, " MiB");
  CHECK(after_burst > before + kFibers * std::size_t{4096});  // each fiber touched a stack page
  CHECK(after_sleep + kReturned < after_burst);
}

TEST_CASE("real clock: after a burst, a loop parked with no timer gives the stacks back") {
  std::size_t after_burst = 0;
  ParkedWatch watch;
  run([&] {
    burst();
    after_burst = resident_bytes();
    watch = watch_rss_while_parked(after_burst - kReturned);
  });
  MESSAGE("RSS after the burst ", after_burst >> 20, " MiB, ", watch.rss >> 20, " MiB after ",
          watch.took / 1ms, " ms parked");
  CHECK(watch.rss + kReturned < after_burst);
}

// A burst of connections: 5,000 clients at once against a server in the same loop, all served and
// closed before the loop parks. Up to 10,000 fibers are alive at once, fewer when server fibers
// end before the last clients start, so half a page per connection must come back.
TEST_CASE("real clock: a loop parked with no timer gives back 5,000 ended connections' stacks") {
  constexpr int kConnections = 5'000;
  constexpr std::size_t kConnectionsReturned = kConnections * std::size_t{2048};
  std::size_t before = 0, after_burst = 0;
  int answered = 0;
  ParkedWatch watch;
  run([&] {
    before = resident_bytes();
    Server server =
        start_server("127.0.0.1", 0, [](TcpStream s) { s.write_all(s.read_line()); });
    std::vector<Task<void>> clients;
    clients.reserve(kConnections);
    for (int i = 0; i < kConnections; ++i) {
      clients.push_back(spawn([&] {
        TcpStream c = open_connection("127.0.0.1", server.port());
        c.write_all("ping\n");
        if (c.read_line() == "ping\n") ++answered;
      }));
    }
    for (auto& t : clients) t.get();
    clients = {};
    server.close();
    server.wait_closed();  // every connection fiber has ended too
    after_burst = resident_bytes();
    watch = watch_rss_while_parked(after_burst - kConnectionsReturned);
  });
  MESSAGE("RSS before ", before >> 20, " MiB, after 5,000 connections ", after_burst >> 20,
          " MiB, ", watch.rss >> 20, " MiB after ", watch.took / 1ms, " ms parked");
  CHECK(answered == kConnections);
  CHECK(after_burst > before + kConnectionsReturned);
  CHECK(watch.rss + kConnectionsReturned < after_burst);
}

}  // TEST_SUITE
