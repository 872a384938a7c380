// Soak: kv_server and http_server, the real programs as child processes, each under SOAK_SECONDS
// (default 30) of load from spindle fibers in this process: connection churn (1 to 20 pipelined
// batches per connection), resets (SO_LINGER 0 closes) mid-request and mid-reply, half-sent
// requests closed or reset, slow writers (a request byte by byte) and slow readers (a large
// pipeline read late). Every reply a client reads is checked byte for byte. Asserted at the end:
//   - the server's open fds (/proc/PID/fd) are back at their count before the load;
//   - its RSS reached a plateau: the peak of the last third of the load phase is at most
//     kPlateauGrowth above the peak of the second third (the first third is warm-up: pools and
//     the allocator grow to the load's concurrency);
//   - it still answers a fresh client correctly; no well-behaved client saw an error.
// Release builds only: under the sanitizers the allocators' quarantines make RSS meaningless and
// the run twice as long (tools/test runs it in its release stage).
#include <doctest/doctest.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "../servers/server_process.hpp"
#include "spindle.hpp"

namespace {

using namespace std::chrono_literals;
using spindle_test::ServerProcess;
using Rng = std::mt19937_64;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

constexpr double kPlateauGrowth = 0.10;  // last third's peak RSS over the second third's
constexpr auto kSampleInterval = 200ms;

std::chrono::seconds soak_duration() {
  const char* s = std::getenv("SOAK_SECONDS");
  return std::chrono::seconds(s ? std::max(3, std::atoi(s)) : 30);
}

std::size_t below(Rng& rng, std::size_t n) { return static_cast<std::size_t>(rng() % n); }

std::size_t fd_count(pid_t pid) {
  const auto dir = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd");
  return static_cast<std::size_t>(std::distance(begin(dir), end(dir)));
}

std::size_t rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
  }
  FAIL("no VmRSS in /proc/" << pid << "/status");
  return 0;
}

// A valid request and what its reply must be (each protocol says how `expect` is read).
struct Request {
  std::string bytes;
  std::string expect;
};

// One request/reply protocol spoken by the load.
struct Protocol {
  std::string name;
  std::function<Request(Rng&, std::size_t client)> request;
  // Reads one reply and checks it against a request's `expect`; false if it differs.
  std::function<bool(spindle::TcpStream&, const std::string& expect)> read_reply;
};

// RESP's "<type><n>\r\n" line (GCC 12 warns falsely about "literal" + std::string here).
void resp_line(std::string& out, char type, std::size_t n) {
  out += type;
  out += std::to_string(n);
  out += "\r\n";
}

void resp_bulk(std::string& out, std::string_view s) {
  resp_line(out, '$', s.size());
  out += s;
  out += "\r\n";
}

std::string resp_command(std::initializer_list<std::string_view> args) {
  std::string out;
  resp_line(out, '*', args.size());
  for (std::string_view a : args) resp_bulk(out, a);
  return out;
}

// SET then GET of a key only this client writes (50 keys per client: the keyspace stays bounded),
// values of 1 byte to 4 KiB. `expect`: the exact reply bytes.
Protocol kv_protocol() {
  return {"kv_server",
          [](Rng& rng, std::size_t client) {
            const std::string key = std::to_string(client) + ":k" + std::to_string(below(rng, 50));
            const std::string value(1 + below(rng, 4096), static_cast<char>('a' + below(rng, 26)));
            Request r{resp_command({"SET", key, value}) + resp_command({"GET", key}), "+OK\r\n"};
            resp_bulk(r.expect, value);
            return r;
          },
          [](spindle::TcpStream& s, const std::string& expect) {
            return s.read_exactly(expect.size()) == expect;
          }};
}

// GET / → 200 "Hello, World!", GET /nope → 404 "not found". `expect`: the status code, a space,
// the body (the headers may change, the status line and the body may not).
Protocol http_protocol() {
  return {"http_server",
          [](Rng& rng, std::size_t) {
            const bool found = below(rng, 4) != 0;
            return Request{
                std::string("GET ") + (found ? "/" : "/nope") + " HTTP/1.1\r\nHost: soak\r\n\r\n",
                found ? "200 Hello, World!" : "404 not found"};
          },
          [](spindle::TcpStream& s, const std::string& expect) {
            const std::string head = s.read_until("\r\n\r\n");
            if (!head.starts_with("HTTP/1.1 " + expect.substr(0, 4))) return false;
            const auto at = head.find("\r\nContent-Length: ");
            if (at == std::string::npos) return false;
            const std::size_t length = std::stoul(head.substr(at + 18));
            return s.read_exactly(length) == expect.substr(4);
          }};
}

// What the load did; every failed check of a well-behaved client is an error.
struct Tally {
  std::size_t connections = 0, replies = 0, resets = 0, half_sent = 0, slow_writes = 0,
              slow_reads = 0;
  std::vector<std::string> errors;
};

void reset(spindle::TcpStream& s) {
  s.stream().set_option(boost::asio::socket_base::linger(true, 0));
  s.close();
}

// Sends `n` pipelined requests, then reads and checks their replies (all of them, however slow
// the reading). False if a reply was wrong.
bool exchange(spindle::TcpStream& s, const Protocol& p, Rng& rng, std::size_t client, std::size_t n,
              Tally& tally, spindle::Duration read_after = {}) {
  std::string batch;
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < n; ++i) {
    Request r = p.request(rng, client);
    batch += r.bytes;
    expected.push_back(std::move(r.expect));
  }
  s.write_all(batch);
  if (read_after > spindle::Duration::zero()) spindle::sleep(read_after);
  for (const auto& e : expected) {
    if (!p.read_reply(s, e)) return false;
    ++tally.replies;
  }
  return true;
}

// The kinds of client. Each uses one connection; the rude ones may see it fail.
enum class Kind { churn, reset, half_sent, slow_writer, slow_reader };

bool rude(Kind k) { return k == Kind::reset || k == Kind::half_sent; }

// Returns false if a reply was wrong.
bool one_connection(Kind kind, spindle::TcpStream& s, const Protocol& p, Rng& rng, std::size_t id,
                    Tally& tally) {
  switch (kind) {
    case Kind::churn:  // 1 to 20 pipelined batches, then a normal close
      for (std::size_t n = 1 + below(rng, 20); n > 0; --n) {
        if (!exchange(s, p, rng, id, 1 + below(rng, 8), tally)) return false;
      }
      return true;
    case Kind::reset: {  // two requests, the replies unread or partly read, then RST
      const std::string request = p.request(rng, id).bytes;
      s.write_all(request + request);
      char some[64];
      if (below(rng, 2) == 0) s.read_some(boost::asio::buffer(some));
      reset(s);
      ++tally.resets;
      return true;
    }
    case Kind::half_sent: {  // a request cut short, then FIN or RST
      const std::string request = p.request(rng, id).bytes;
      s.write_all(std::string_view(request).substr(0, below(rng, request.size())));
      if (below(rng, 2) == 0) reset(s);
      ++tally.half_sent;
      return true;
    }
    case Kind::slow_writer: {  // a request in pieces of 1 to 8 bytes, 1 ms apart
      const Request r = p.request(rng, id);
      for (std::string_view rest = r.bytes; !rest.empty();) {
        const std::size_t n = std::min(rest.size(), 1 + below(rng, 8));
        s.write_all(rest.substr(0, n));
        rest.remove_prefix(n);
        spindle::sleep(1ms);
      }
      ++tally.slow_writes;
      return p.read_reply(s, r.expect);
    }
    case Kind::slow_reader:  // a large pipeline read late: the server's writes wait for it
      ++tally.slow_reads;
      return exchange(s, p, rng, id, 200, tally, 100ms);
  }
  return true;
}

// One client fiber: connections of one kind after another until `until`. The rude kinds pause
// 10 ms between connections, so that they are a share of the load and do not crowd it out.
void client(const Protocol& p, std::uint16_t port, std::size_t id, spindle::TimePoint until,
            Tally& tally) {
  constexpr Kind kKinds[] = {Kind::churn, Kind::churn,     Kind::churn,       Kind::churn,
                             Kind::reset, Kind::half_sent, Kind::slow_writer, Kind::slow_reader};
  const Kind kind = kKinds[id % std::size(kKinds)];
  Rng rng(id);
  while (spindle::now() < until) {
    try {
      auto s = spindle::open_connection("127.0.0.1", port);
      ++tally.connections;
      if (!one_connection(kind, s, p, rng, id, tally)) {
        tally.errors.push_back(p.name + ": a wrong reply");
      }
    } catch (const std::exception& e) {
      if (!rude(kind)) tally.errors.push_back(p.name + ": " + e.what());
    }
    if (rude(kind)) spindle::sleep(10ms);
  }
}

struct Sample {
  std::size_t fds, rss_kib;
};

void soak(const char* env_var, const Protocol& p) {
  ServerProcess server(env_var);
  const pid_t pid = server.pid();
  const std::size_t fds_before = fd_count(pid);
  const auto duration = soak_duration();
  Tally tally;
  std::vector<Sample> samples;
  spindle::run([&] {
    const auto until = spindle::now() + duration;
    std::vector<spindle::Task<void>> clients;
    for (std::size_t id = 0; id < 32; ++id) {
      clients.push_back(
          spindle::spawn(client, std::cref(p), server.port(), id, until, std::ref(tally)));
    }
    while (spindle::now() < until) {
      samples.push_back({fd_count(pid), rss_kib(pid)});
      spindle::sleep(kSampleInterval);
    }
    for (auto& c : clients) c.get();

    {
      auto fresh = spindle::open_connection("127.0.0.1", server.port());
      Rng rng(99);
      CHECK_MESSAGE(exchange(fresh, p, rng, 999, 3, tally), "a fresh client after the load");
    }
    // The server closes its side of a connection once it has seen the client's FIN or RST: wait
    // (bounded) until its fd count is back.
    const auto deadline = spindle::now() + 10s;
    while (fd_count(pid) != fds_before && spindle::now() < deadline) spindle::sleep(20ms);
  });

  // The peak of one field over samples [from, to).
  auto peak = [&](std::size_t Sample::*field, std::size_t from, std::size_t to) {
    std::size_t m = 0;
    for (std::size_t i = from; i < to; ++i) m = std::max(m, samples[i].*field);
    return m;
  };
  const std::size_t third = samples.size() / 3, fds_after = fd_count(pid);
  const std::size_t rss1 = peak(&Sample::rss_kib, 0, third),
                    rss2 = peak(&Sample::rss_kib, third, 2 * third),
                    rss3 = peak(&Sample::rss_kib, 2 * third, samples.size());
  MESSAGE(p.name << ": " << tally.connections << " connections, " << tally.replies << " replies, "
                 << tally.resets << " resets, " << tally.half_sent << " half-sent, "
                 << tally.slow_writes << " slow writers, " << tally.slow_reads
                 << " slow readers; fds " << fds_before << " before, peak "
                 << peak(&Sample::fds, 0, samples.size()) << " during, " << fds_after
                 << " after; peak RSS per third " << rss1 << " / " << rss2 << " / " << rss3
                 << " KiB");
  CHECK(tally.errors.empty());
  for (std::size_t i = 0; i < std::min<std::size_t>(tally.errors.size(), 10); ++i) {
    MESSAGE(tally.errors[i]);
  }
  CHECK(fds_after == fds_before);
  CHECK(static_cast<double>(rss3) <= static_cast<double>(rss2) * (1 + kPlateauGrowth));
  CHECK(tally.resets > 0);
  CHECK(tally.half_sent > 0);
  CHECK(tally.slow_writes > 0);
  CHECK(tally.slow_reads > 0);
}

}  // namespace

TEST_SUITE("soak") {
  TEST_CASE("kv_server under churn, resets, half-sent requests and slow clients" *
            doctest::skip(kSanitized)) {
    soak("KV_SERVER", kv_protocol());
  }

  TEST_CASE("http_server under churn, resets, half-sent requests and slow clients" *
            doctest::skip(kSanitized)) {
    soak("HTTP_SERVER", http_protocol());
  }

}  // TEST_SUITE
