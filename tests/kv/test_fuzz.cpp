// Fuzz-style: thousands of seeded random byte strings, and random mutations of valid pipelined
// requests, through parser + dispatch. Nothing crashes, every reply is well-formed RESP, each
// command gets exactly one reply, a protocol error is the last reply (the connection ends), and
// cutting the same bytes into random pieces changes nothing.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kv_support.hpp"

using kv_test::cmd;
using kv_test::Session;

namespace {

using Rng = std::mt19937_64;

std::size_t below(Rng& rng, std::size_t n) { return static_cast<std::size_t>(rng() % n); }

// Bytes with a bias towards what the protocol reacts to.
char random_byte(Rng& rng) {
  static constexpr std::string_view kInteresting = "*$\r\n\r\n0123456789-+ \t\"'\\x:PINGSETgetEX";
  if (below(rng, 3) == 0) return static_cast<char>(rng() & 0xff);
  return kInteresting[below(rng, kInteresting.size())];
}

std::string random_bytes(Rng& rng, std::size_t max_len) {
  std::string s(below(rng, max_len + 1), '\0');
  for (char& c : s) c = random_byte(rng);
  return s;
}

// A valid request with random arguments drawn from tokens the commands react to.
std::string random_request(Rng& rng) {
  static const std::vector<std::string> kNames = {
      "GET", "SET", "PING", "ECHO", "DEL", "EXISTS", "INCR", "MGET", "MSET", "EXPIRE", "TTL",
      "PTTL", "PERSIST", "KEYS", "DBSIZE", "FLUSHALL", "COMMAND", "CONFIG", "set", "nosuch"};
  static const std::vector<std::string> kTokens = {
      "k", "k2", "n", "", "0", "1", "-1", "10", "9223372036854775807", "-9223372036854775808",
      "EX", "PX", "NX", "XX", "GT", "LT", "GET", "KEEPTTL", "DOCS", "COUNT", "save", "*", "k*",
      "[a-z]*", "[^", "\\", "?", "a\r\nb", "abc", "007", "99999999999999999999"};
  std::vector<std::string_view> args;
  args.push_back(kNames[below(rng, kNames.size())]);
  std::size_t n = below(rng, 6);
  for (std::size_t i = 0; i < n; ++i) args.push_back(kTokens[below(rng, kTokens.size())]);
  if (below(rng, 8) == 0) {  // inline form
    std::string line;
    for (std::string_view a : args) {
      if (a.find_first_of("\r\n") != std::string_view::npos) continue;
      line += a;
      line += ' ';
    }
    return line + "\r\n";
  }
  std::string out;
  kv::resp::array_header(out, args.size());
  for (std::string_view a : args) kv::resp::bulk(out, a);
  return out;
}

std::string mutate(Rng& rng, std::string s) {
  std::size_t k = 1 + below(rng, 4);
  for (std::size_t i = 0; i < k; ++i) {
    std::size_t pos = s.empty() ? 0 : below(rng, s.size());
    switch (below(rng, 5)) {
      case 0:
        if (!s.empty()) s[pos] = random_byte(rng);
        break;
      case 1:
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), random_byte(rng));
        break;
      case 2:
        if (!s.empty()) s.erase(pos, 1);
        break;
      case 3:
        if (!s.empty()) s.insert(pos, s.substr(below(rng, s.size()), below(rng, 16)));
        break;
      default:
        s.resize(pos);
        break;
    }
  }
  return s;
}

struct Outcome {
  std::string replies;
  std::size_t commands = 0;
  bool closed = false;
  bool protocol_error = false;
};

// Runs `input` through a fresh store and session, fed whole or in random pieces.
Outcome run_session(std::string_view input, Rng* pieces) {
  kv::Store store;
  Session s(store);
  Outcome o;
  if (!pieces) {
    o.replies = s.feed(input);
  } else {
    std::size_t pos = 0;
    while (pos < input.size()) {
      std::size_t n = 1 + below(*pieces, 16);
      o.replies += s.feed(input.substr(pos, n));
      pos += n;
    }
  }
  o.commands = s.commands();
  o.closed = s.closed();
  o.protocol_error = s.ended_by_protocol_error();
  return o;
}

void check_invariants(std::string_view input, Rng& rng) {
  Outcome whole = run_session(input, nullptr);
  std::optional<std::size_t> values = kv_test::resp_values(whole.replies);
  if (!values) {
    FAIL_CHECK("malformed reply for input of " << input.size() << " bytes");
    return;
  }
  // One reply per command, plus the protocol error's if the session ended with one.
  bool protocol_error = whole.protocol_error;
  bool quit = !protocol_error && whole.closed;
  CHECK(*values == whole.commands + (protocol_error ? 1 : 0));
  if (protocol_error) {
    std::size_t last = whole.replies.rfind("-ERR Protocol error: ");
    CHECK(last != std::string::npos);
    CHECK(whole.replies.find("\r\n", last) + 2 == whole.replies.size());
  }
  if (quit) CHECK(whole.replies.substr(whole.replies.size() - 5) == "+OK\r\n");

  Outcome split = run_session(input, &rng);
  CHECK(split.replies == whole.replies);
  CHECK(split.closed == whole.closed);
}

}  // namespace

TEST_SUITE("kv.fuzz") {

TEST_CASE("random bytes: never a crash, always well-formed replies, errors end the connection") {
  kv_test::in_virtual_loop([] {
    Rng rng(20240501);
    for (int i = 0; i < 4000; ++i) {
      std::string input = random_bytes(rng, i % 10 == 0 ? 2000 : 120);
      if (below(rng, 2) == 0) input = "*" + input;  // reach the multibulk parser more often
      CAPTURE(i);
      check_invariants(input, rng);
    }
  });
}

TEST_CASE("mutated valid requests: never a crash, always well-formed replies") {
  kv_test::in_virtual_loop([] {
    Rng rng(7);
    for (int i = 0; i < 4000; ++i) {
      std::string batch;
      std::size_t n = 1 + below(rng, 8);
      for (std::size_t j = 0; j < n; ++j) batch += random_request(rng);
      CAPTURE(i);
      check_invariants(i % 4 == 0 ? batch : mutate(rng, batch), rng);
    }
  });
}

TEST_CASE("declared huge sizes do not allocate: the parser waits for bytes that never come") {
  kv_test::in_virtual_loop([] {
    kv::Store store;
    Session s(store);
    CHECK(s.feed("*1048576\r\n") == "");
    for (int i = 0; i < 1000; ++i) s.feed("$536870912\r\n");  // a header, then no bulk bytes
    CHECK_FALSE(s.closed());
    CHECK(s.commands() == 0);
  });
}

}  // TEST_SUITE
