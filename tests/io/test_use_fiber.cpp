// use_fiber: any Asio initiating function parks the calling fiber and returns the handler's result.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "../support.hpp"
#include "spindle/testing.hpp"

using namespace std::chrono_literals;
using spindle_test::Recorder;
namespace asio = boost::asio;
using asio::ip::tcp;

// Counts every allocation of this test program, to show that the I/O paths allocate nothing once warm.
static std::atomic<std::size_t> g_allocations{0};
// Out of line, so that g++ does not pair an inlined malloc with an inlined free and warn.
[[gnu::noinline]] void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// Asio allocates operations with std::aligned_alloc, not operator new: counted too, except under
// the sanitizers (their runtimes own the allocator).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kCountsAlignedAlloc = false;
#else
constexpr bool kCountsAlignedAlloc = true;
extern "C" void* __libc_memalign(std::size_t alignment, std::size_t size);
extern "C" void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(alignment, size);
}
#endif

namespace {

// A made-up Asio operation whose handler gets an error code and two values.
template <class Token>
auto async_pair(asio::io_context& io, int n, Token&& token) {
  return asio::async_initiate<Token, void(boost::system::error_code, int, std::string)>(
      [&io](auto handler, int v) {
        asio::post(io, [h = std::move(handler), v]() mutable {
          if (v < 0) std::move(h)(asio::error::invalid_argument, 0, std::string());
          else std::move(h)(boost::system::error_code(), v * 2, std::to_string(v));
        });
      },
      token, n);
}

// A connected pair of sockets on loopback.
std::pair<tcp::socket, tcp::socket> socket_pair() {
  auto& io = spindle::this_loop().io_context();
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket a(io), b(io);
  a.async_connect(acceptor.local_endpoint(), spindle::use_fiber);
  acceptor.async_accept(b, spindle::use_fiber);
  return {std::move(a), std::move(b)};
}

}  // namespace

TEST_SUITE("use_fiber") {

TEST_CASE("a void operation parks only the calling fiber") {
  Recorder rec;
  spindle::run([&] {
    auto other = spindle::spawn([&] { rec("other"); });
    rec("before post");
    asio::post(spindle::this_loop().io_context(), spindle::use_fiber);
    rec("after post");
    other.get();
  });
  CHECK(rec.str() == "before post, other, after post");
}

TEST_CASE("several handler values come back as a tuple; an error throws or fills ec") {
  spindle::run([] {
    auto& io = spindle::this_loop().io_context();
    auto [twice, text] = async_pair(io, 21, spindle::use_fiber);
    CHECK(twice == 42);
    CHECK(text == "21");
    CHECK_THROWS_AS(async_pair(io, -1, spindle::use_fiber), boost::system::system_error);
    boost::system::error_code ec;
    auto result = async_pair(io, -1, spindle::use_fiber[ec]);
    CHECK(ec == asio::error::invalid_argument);
    CHECK(std::get<0>(result) == 0);
    async_pair(io, 1, spindle::use_fiber[ec]);
    CHECK(!ec);
  });
}

TEST_CASE("connecting to a closed port: system_error connection_refused, or ec") {
  spindle::run([] {
    auto& io = spindle::this_loop().io_context();
    tcp::endpoint closed;
    {
      tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      closed = a.local_endpoint();
    }
    tcp::socket s(io);
    boost::system::error_code ec;
    s.async_connect(closed, spindle::use_fiber[ec]);
    CHECK(ec == asio::error::connection_refused);
    tcp::socket s2(io);
    try {
      s2.async_connect(closed, spindle::use_fiber);
      FAIL("connect did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == asio::error::connection_refused);
    }
  });
}

TEST_CASE("a read with nothing to read is cancelled through Asio and resumes with CancelledError") {
  Recorder rec;
  spindle::run([&] {
    auto [a, b] = socket_pair();
    char byte;
    auto reader = spindle::spawn([&] {
      try {
        a.async_read_some(asio::buffer(&byte, 1), spindle::use_fiber);
        rec("read returned");
      } catch (const spindle::CancelledError& e) {
        rec("cancelled: " + std::string(e.message()));
      }
    });
    spindle::yield_now();
    CHECK(reader.cancel("stop"));
    reader.get();
    // The socket is still usable: nothing was left half-done on it.
    asio::write(b, asio::buffer("x", 1));
    a.async_read_some(asio::buffer(&byte, 1), spindle::use_fiber);
    CHECK(byte == 'x');
  });
  CHECK(rec.str() == "cancelled: stop");
}

TEST_CASE("a timeout around a read fires at its virtual deadline while the read is pending") {
  spindle::run(spindle_test::io_virtual(), [] {
    auto [a, b] = socket_pair();
    spindle_test::Stopwatch sw;
    char byte;
    CHECK_THROWS_AS(spindle::timeout(30s, [&] { a.async_read_some(asio::buffer(&byte, 1), spindle::use_fiber); }),
                    spindle::TimeoutError);
    CHECK(sw.elapsed() == 30s);
  });
}

TEST_CASE("an operation that completed before the cancellation is not lost") {
  spindle::run([] {
    auto [a, b] = socket_pair();
    char byte = 0;
    auto reader = spindle::spawn([&] { return a.async_read_some(asio::buffer(&byte, 1), spindle::use_fiber); });
    spindle::yield_now();               // the reader is parked in its read
    asio::write(b, asio::buffer("y", 1));
    asio::post(spindle::this_loop().io_context(), spindle::use_fiber);  // let the read complete
    reader.cancel();                    // too late: the data is there
    CHECK(reader.get() == 1);
    CHECK(byte == 'y');
  });
}

TEST_CASE("once warm, an operation allocates nothing: handler memory and slots are recycled") {
  spindle::run([] {
    auto [a, b] = socket_pair();
    auto& io = spindle::this_loop().io_context();
    char buf[64];
    auto round_trips = [&](int n) {
      for (int i = 0; i < n; ++i) {
        asio::post(io, spindle::use_fiber);
        b.async_write_some(asio::buffer("ping", 4), spindle::use_fiber);
        a.async_read_some(asio::buffer(buf), spindle::use_fiber);
        a.async_wait(tcp::socket::wait_write, spindle::use_fiber);  // a cancellable reactor wait
      }
    };
    round_trips(10);
    const std::size_t counted = g_allocations.load();
    auto probe = std::make_unique<int>(1);  // the counter does count
    CHECK(g_allocations.load() == counted + 1);
    const std::size_t before = g_allocations.load();
    round_trips(1000);
    CHECK(g_allocations.load() - before == 0);
  });
}

TEST_CASE("once warm, 50 reads outstanding at once allocate nothing either (Asio's cache holds 2)") {
  spindle::run([] {
    constexpr int kPairs = 50, kRounds = 40;
    std::vector<std::pair<tcp::socket, tcp::socket>> pairs;
    for (int i = 0; i < kPairs; ++i) pairs.push_back(socket_pair());
    int reads = 0;
    std::vector<spindle::Task<void>> readers;
    for (auto& [a, b] : pairs) {
      readers.push_back(spindle::spawn([&reads, &a = a] {
        char byte;
        for (int r = 0; r < kRounds; ++r) {
          a.async_read_some(asio::buffer(&byte, 1), spindle::use_fiber);
          ++reads;
        }
      }));
    }
    void* probe = std::aligned_alloc(64, 64);  // the counter does count Asio's allocations
    const std::size_t counted = g_allocations.load();
    std::free(probe);
    probe = std::aligned_alloc(64, 64);
    CHECK(g_allocations.load() == counted + (kCountsAlignedAlloc ? 1 : 0));
    std::free(probe);
    std::size_t before = 0;
    for (int r = 0; r < kRounds; ++r) {
      if (r == 5) before = g_allocations.load();  // warm
      spindle::yield_now();  // every reader is parked on its read (all 50 outstanding)
      for (auto& [a, b] : pairs) b.async_write_some(asio::buffer("x", 1), spindle::use_fiber);
      while (reads < (r + 1) * kPairs) spindle::yield_now();
      // Measured before the last round: after it the readers return (a fiber's end is not I/O).
      if (r == kRounds - 2) CHECK(g_allocations.load() - before == 0);
    }
    for (auto& t : readers) t.join();
  });
}

TEST_CASE("use_fiber outside a fiber is a logic_error") {
  spindle::run([] {
    auto& io = spindle::this_loop().io_context();
    bool threw = false;
    spindle::this_loop().call_soon([&] {
      try {
        asio::post(io, spindle::use_fiber);
      } catch (const std::logic_error&) {
        threw = true;
      }
    });
    spindle::testing::wait_all_blocked();  // the callback has run
    CHECK(threw);
  });
}

TEST_CASE("pending I/O is not a deadlock; a fiber left parked on I/O at run() end is reaped") {
  spindle::run([] {
    auto [a, b] = socket_pair();
    auto stuck = spindle::spawn([s = std::move(a)]() mutable {
      char byte;
      s.async_read_some(asio::buffer(&byte, 1), spindle::use_fiber);
    });
    spindle::yield_now();
    CHECK(spindle::this_loop().live_tasks() == 2);
  });  // run() cancels `stuck`: its read is aborted through Asio, the fiber unwinds, run returns
}

}  // TEST_SUITE
