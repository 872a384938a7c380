// Expiry as redis-server 7 has it, to the millisecond: absolute times (EXAT, PXAT, EXPIREAT,
// PEXPIREAT, EXPIRETIME, PEXPIRETIME) are Unix times, TTLs far beyond 292 years are exact, and
// every overflow of a unit conversion or of now + ttl is Redis's "invalid expire time" error. The
// store's wall-clock anchor is fixed (kNow) and the virtual clock moves time, so every value is
// exact. Each expected reply was checked against redis-server 7.0.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "kv_support.hpp"

using namespace std::chrono_literals;
using kv_test::cmd;
using kv_test::Session;

namespace {

constexpr long long kNow = 1'700'000'000'000;  // the Unix time (ms) when each test starts

template <class F>
void at_unix_time(F&& body) {
  kv_test::in_virtual_loop([&] {
    kv::Store store(kNow);
    Session s(store);
    body(s);
  });
}

// Reply bytes, built piecewise: g++ 12 warns falsely (-Wrestrict) on "literal" + std::string.
std::string integer(long long v) {
  std::string out = ":";
  out += std::to_string(v);
  out += "\r\n";
  return out;
}

std::string invalid_expire(std::string_view command) {
  std::string out = "-ERR invalid expire time in '";
  out += command;
  out += "' command\r\n";
  return out;
}

}  // namespace

TEST_SUITE("kv.expiry") {
  TEST_CASE("SET EXAT / PXAT and EXPIRETIME / PEXPIRETIME are Unix times") {
    at_unix_time([](Session& s) {
      CHECK(s.feed(cmd("SET", "k", "v", "EXAT", "1700000100")) == "+OK\r\n");
      CHECK(s.feed(cmd("EXPIRETIME", "k")) == integer(1'700'000'100));
      CHECK(s.feed(cmd("PEXPIRETIME", "k")) == integer(1'700'000'100'000));
      CHECK(s.feed(cmd("TTL", "k")) == integer(100));
      CHECK(s.feed(cmd("SET", "k", "v", "pxat", "1700000000500")) == "+OK\r\n");
      CHECK(s.feed(cmd("PTTL", "k")) == integer(500));
      CHECK(s.feed(cmd("TTL", "k")) == integer(1));                     // 500 ms rounds half up
      CHECK(s.feed(cmd("EXPIRETIME", "k")) == integer(1'700'000'001));  // so does EXPIRETIME
      spindle::sleep(500ms);
      CHECK(s.feed(cmd("GET", "k")) == "$1\r\nv\r\n");  // alive through its expiry millisecond
      spindle::sleep(1ms);
      CHECK(s.feed(cmd("GET", "k")) == "$-1\r\n");
      CHECK(s.feed(cmd("EXPIRETIME", "k")) == integer(-2));
      CHECK(s.feed(cmd("SET", "k", "v")) == "+OK\r\n");
      CHECK(s.feed(cmd("EXPIRETIME", "k")) == integer(-1));
      CHECK(s.feed(cmd("PEXPIRETIME", "k")) == integer(-1));
      CHECK(s.feed(cmd("EXPIRETIME")) ==
            "-ERR wrong number of arguments for 'expiretime' command\r\n");

      // A time in the past is accepted: the key is set and gone at once.
      CHECK(s.feed(cmd("SET", "old", "v", "EXAT", "1")) == "+OK\r\n");
      CHECK(s.feed(cmd("EXISTS", "old")) == integer(0));
      CHECK(s.feed(cmd("SET", "k", "w", "EXAT", "1", "GET")) == "$1\r\nv\r\n");
      CHECK(s.feed(cmd("GET", "k")) == "$-1\r\n");
      // The same option twice: the last value counts; two different ones: a syntax error.
      CHECK(s.feed(cmd("SET", "k", "v", "EXAT", "1", "EXAT", "1700000200")) == "+OK\r\n");
      CHECK(s.feed(cmd("EXPIRETIME", "k")) == integer(1'700'000'200));
      CHECK(s.feed(cmd("SET", "k", "v", "EXAT", "5", "EX", "5")) == "-ERR syntax error\r\n");
      CHECK(s.feed(cmd("SET", "k", "v", "PXAT", "5", "KEEPTTL")) == "-ERR syntax error\r\n");
      CHECK(s.feed(cmd("SET", "k", "v", "PXAT")) == "-ERR syntax error\r\n");
    });
  }

  TEST_CASE("TTLs beyond 292 years are exact, up to the largest Unix ms") {
    at_unix_time([](Session& s) {
      CHECK(s.feed(cmd("SET", "k", "v", "EX", "10000000000")) == "+OK\r\n");  // 317 years
      CHECK(s.feed(cmd("TTL", "k")) == integer(10'000'000'000));
      CHECK(s.feed(cmd("PEXPIRETIME", "k")) == integer(kNow + 10'000'000'000'000));
      spindle::sleep(1s);
      CHECK(s.feed(cmd("TTL", "k")) == integer(9'999'999'999));
      CHECK(s.feed(cmd("EXPIRE", "k", "100000000000")) == integer(1));  // 3,170 years
      CHECK(s.feed(cmd("TTL", "k")) == integer(100'000'000'000));

      // The largest: PXAT LLONG_MAX, or PX up to LLONG_MAX - now.
      CHECK(s.feed(cmd("SET", "k", "v", "PXAT", "9223372036854775807")) == "+OK\r\n");
      CHECK(s.feed(cmd("PEXPIRETIME", "k")) == integer(9223372036854775807));
      CHECK(s.feed(cmd("EXPIRETIME", "k")) == integer(9223372036854776));  // rounded, no overflow
      CHECK(s.feed(cmd("PTTL", "k")) == integer(9223372036854775807 - kNow - 1000));
      CHECK(s.feed(cmd("SET", "k", "v", "PX", std::to_string(9223372036854775807 - kNow - 1000))) ==
            "+OK\r\n");
      CHECK(s.feed(cmd("PEXPIRETIME", "k")) == integer(9223372036854775807));
      CHECK(s.feed(cmd("SET", "k", "v", "PX", std::to_string(9223372036854775807 - kNow - 999))) ==
            invalid_expire("set"));
    });
  }

  TEST_CASE("invalid expire time exactly where Redis gives it") {
    at_unix_time([](Session& s) {
      CHECK(s.feed(cmd("SET", "k", "v")) == "+OK\r\n");
      // SET: zero or negative, the seconds unit overflowing, or now + ttl overflowing.
      for (const char* opt : {"EX", "PX", "EXAT", "PXAT"}) {
        CAPTURE(opt);
        CHECK(s.feed(cmd("SET", "k", "v", opt, "0")) == invalid_expire("set"));
        CHECK(s.feed(cmd("SET", "k", "v", opt, "-1")) == invalid_expire("set"));
        CHECK(s.feed(cmd("SET", "k", "v", opt, "-9223372036854775808")) == invalid_expire("set"));
        CHECK(s.feed(cmd("SET", "k", "v", opt, "9223372036854775808")) ==
              "-ERR value is not an integer or out of range\r\n");
        CHECK(s.feed(cmd("SET", "k", "v", opt, "1.5")) ==
              "-ERR value is not an integer or out of range\r\n");
      }
      CHECK(s.feed(cmd("SET", "k", "v", "EX", "9223372036854776")) == invalid_expire("set"));
      CHECK(s.feed(cmd("SET", "k", "v", "EXAT", "9223372036854776")) == invalid_expire("set"));
      CHECK(s.feed(cmd("SET", "k", "v", "EX", "9223372036854775")) == invalid_expire("set"));
      CHECK(s.feed(cmd("SET", "k", "v", "EXAT", "9223372036854775")) == "+OK\r\n");
      CHECK(s.feed(cmd("SET", "k", "v", "PX", "9223372036854775807")) == invalid_expire("set"));

      // EXPIRE and friends: negative is fine (the key is deleted); the overflows are errors named
      // after the command.
      CHECK(s.feed(cmd("EXPIRE", "k", "9223372036854776")) == invalid_expire("expire"));
      CHECK(s.feed(cmd("EXPIRE", "k", "-9223372036854776")) == invalid_expire("expire"));
      CHECK(s.feed(cmd("EXPIRE", "k", "9223372036854775")) == invalid_expire("expire"));
      CHECK(s.feed(cmd("PEXPIRE", "k", "9223372036854775807")) == invalid_expire("pexpire"));
      CHECK(s.feed(cmd("EXPIREAT", "k", "9223372036854776")) == invalid_expire("expireat"));
      CHECK(s.feed(cmd("EXPIREAT", "k", "-9223372036854776")) == invalid_expire("expireat"));
      CHECK(s.feed(cmd("PEXPIREAT", "k", "9223372036854775808")) ==
            "-ERR value is not an integer or out of range\r\n");
      CHECK(s.feed(cmd("EXISTS", "k")) == integer(1));  // no failed command touched it
      CHECK(s.feed(cmd("EXPIRE", "k", "-9223372036854775")) == integer(1));
      CHECK(s.feed(cmd("EXISTS", "k")) == integer(0));
      CHECK(s.feed(cmd("SET", "k", "v")) == "+OK\r\n");
      CHECK(s.feed(cmd("PEXPIRE", "k", "-9223372036854775808")) == integer(1));
      CHECK(s.feed(cmd("EXISTS", "k")) == integer(0));
      // The options are checked before the time; a missing key answers 0 after both.
      CHECK(s.feed(cmd("EXPIRE", "nokey", "x", "foo")) == "-ERR Unsupported option foo\r\n");
      CHECK(s.feed(cmd("EXPIRE", "nokey", "9223372036854776")) == invalid_expire("expire"));
      CHECK(s.feed(cmd("PEXPIREAT", "nokey", "1")) == integer(0));
    });
  }

  TEST_CASE("EXPIREAT / PEXPIREAT: Unix times, the past deletes, NX XX GT LT on huge values") {
    at_unix_time([](Session& s) {
      CHECK(s.feed(cmd("SET", "k", "v")) == "+OK\r\n");
      CHECK(s.feed(cmd("EXPIREAT", "k", "1700000050")) == integer(1));
      CHECK(s.feed(cmd("TTL", "k")) == integer(50));
      CHECK(s.feed(cmd("PEXPIREAT", "k", "9223372036854775807", "GT")) == integer(1));
      CHECK(s.feed(cmd("PEXPIREAT", "k", "9223372036854775807", "GT")) == integer(0));  // equal
      CHECK(s.feed(cmd("EXPIRE", "k", "100000000000", "GT")) == integer(0));
      CHECK(s.feed(cmd("EXPIRE", "k", "100000000000", "LT")) == integer(1));
      CHECK(s.feed(cmd("TTL", "k")) == integer(100'000'000'000));
      CHECK(s.feed(cmd("EXPIREAT", "k", "9223372036854775", "XX", "GT")) == integer(1));
      CHECK(s.feed(cmd("PEXPIRETIME", "k")) == integer(9223372036854775000));
      CHECK(s.feed(cmd("EXPIRE", "k", "1", "NX")) == integer(0));
      CHECK(s.feed(cmd("PERSIST", "k")) == integer(1));
      CHECK(s.feed(cmd("EXPIREAT", "k", "9223372036854775", "GT")) ==
            integer(0));  // no TTL: infinite
      CHECK(s.feed(cmd("EXPIREAT", "k", "9223372036854775", "XX")) == integer(0));
      CHECK(s.feed(cmd("EXPIREAT", "k", "9223372036854775", std::string("nx\0junk", 7))) ==
            integer(1));  // an option ends at a NUL, as Redis's C-string compare does
      // LT with a time in the past beats any expiry and deletes the key.
      CHECK(s.feed(cmd("PEXPIREAT", "k", "-9223372036854775808", "LT")) == integer(1));
      CHECK(s.feed(cmd("EXISTS", "k")) == integer(0));
      CHECK(s.feed(cmd("SET", "k", "v")) == "+OK\r\n");
      CHECK(s.feed(cmd("PEXPIREAT", "k", std::to_string(kNow))) == integer(1));  // now: expired
      CHECK(s.feed(cmd("EXISTS", "k")) == integer(0));
      CHECK(s.feed(cmd("SET", "k", "v")) == "+OK\r\n");
      CHECK(s.feed(cmd("PEXPIREAT", "k", std::to_string(kNow + 1))) == integer(1));
      CHECK(s.feed(cmd("PTTL", "k")) == integer(1));
      CHECK(s.feed(cmd("PEXPIRE", "k", "2500")) == integer(1));
      CHECK(s.feed(cmd("PTTL", "k")) == integer(2500));
      CHECK(s.feed(cmd("PEXPIRE", "k", "0")) == integer(1));
      CHECK(s.feed(cmd("EXISTS", "k")) == integer(0));
    });
  }

}  // TEST_SUITE
