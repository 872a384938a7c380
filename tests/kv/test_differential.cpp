// kv_server against a real redis-server 7: the same bytes to both, the replies compared byte for
// byte. Each case runs on a fresh connection to each server (after a FLUSHALL): send, half-close,
// read to the end. The table covers every command kv_server supports, expiry edge cases and
// protocol errors; what kv_server does differently on purpose is in
// samples/servers/kv_server/README.md and not here. Cases avoid what depends on the two servers'
// clocks differing by a millisecond (PTTL of a relative TTL, TTL of an absolute time) and on hash
// order (KEYS with several matches).
//
// redis-server (Debian package redis-server, installed by tools/test) is started on a free port
// with --save '' --appendonly no, and killed at the end. Without it the test says so and passes.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv_support.hpp"
#include "server_support.hpp"

using kv_test::cmd;

namespace {

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out += p;
  return out;
}

// A port that was free a moment ago (redis-server takes a port number, not 0).
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class RedisServer {
 public:
  RedisServer(const std::string& path, std::uint16_t port)
      : port_(port),
        child_({path, "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"}) {
    child_.wait_for_line("Ready to accept connections");
  }
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  kv_test::ChildServer child_;
};

class KvServer {
 public:
  KvServer() : child_({kv_test::kv_server_path(), "--port", "0"}) {
    constexpr std::string_view kPrefix = "listening on 127.0.0.1:";
    std::string line = child_.wait_for_line(kPrefix);
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(kPrefix.size())));
  }
  std::uint16_t port() const { return port_; }

 private:
  kv_test::ChildServer child_;
  std::uint16_t port_ = 0;
};

// What the server answers to `request` on a fresh connection, until it closes.
std::string exchange(std::uint16_t port, std::string_view request) {
  kv_test::Client c(port);
  c.send_all(request);  // false if the server closed early: what it answered still counts
  c.shutdown_write();
  bool reset = false;
  return c.receive_to_end(reset);
}

// Bytes as a C string literal would show them, for readable failures.
std::string escaped(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

struct Case {
  std::string name;
  std::string request;
};

const std::string kMax = "9223372036854775807";
const std::string kMin = "-9223372036854775808";

std::vector<Case> cases() {
  const std::string nul_value("a\0b\r\nc", 6);
  return {
      // Connection and echo.
      {"ping", cat({cmd("PING"), cmd("ping", "hello"), cmd("PING", "a", "b"), "PING\r\n"})},
      {"echo", cat({cmd("ECHO", "x y"), cmd("echo", ""), cmd("ECHO"), cmd("ECHO", "a", "b")})},
      {"quit ends the connection", cat({cmd("SET", "k", "v"), cmd("QUIT"), cmd("GET", "k")})},
      {"quit with arguments", cat({cmd("QUIT", "now"), cmd("PING")})},

      // Strings.
      {"get and set", cat({cmd("GET", "k"), cmd("SET", "k", "v"), cmd("gEt", "k"),
                           cmd("SET", "k", nul_value), cmd("GET", "k"), cmd("SET", "", ""),
                           cmd("GET", ""), cmd("GET"), cmd("GET", "a", "b"), cmd("SET", "k")})},
      {"set nx xx get",
       cat({cmd("SET", "k", "v", "XX"), cmd("SET", "k", "v", "NX"), cmd("SET", "k", "w", "nx"),
            cmd("SET", "k", "w", "xx"), cmd("SET", "k", "x", "GET"), cmd("SET", "new", "x", "GET"),
            cmd("SET", "k", "y", "NX", "GET"), cmd("SET", "k2", "y", "XX", "GET"),
            cmd("SET", "k", "z", "GET", "GET", "XX", "XX"), cmd("GET", "k")})},
      {"set syntax errors",
       cat({cmd("SET", "k", "v", "NX", "XX"), cmd("SET", "k", "v", "EX", "10", "PX", "5"),
            cmd("SET", "k", "v", "KEEPTTL", "EX", "5"), cmd("SET", "k", "v", "EX", "5", "KEEPTTL"),
            cmd("SET", "k", "v", "EX"), cmd("SET", "k", "v", "foo"),
            cmd("SET", "k", "v", "EXAT", "5", "PX", "5"),
            cmd("SET", "k", "v", "PXAT", "5", "EXAT", "5"), cmd("SET", "k", "v", "PXAT"),
            cmd("SET", "k", "v", "KEEPTTL", "PXAT", "5"), cmd("SET", "k", "v", "GETX"),
            cmd("SET", "k", "v", std::string("nx\0junk", 7)), cmd("GET", "k")})},
      {"incr", cat({cmd("INCR", "n"),
                    cmd("INCR", "n"),
                    cmd("GET", "n"),
                    cmd("SET", "n", "-1"),
                    cmd("INCR", "n"),
                    cmd("SET", "n", "9223372036854775806"),
                    cmd("INCR", "n"),
                    cmd("INCR", "n"),
                    cmd("SET", "n", "abc"),
                    cmd("INCR", "n"),
                    cmd("SET", "n", "007"),
                    cmd("INCR", "n"),
                    cmd("SET", "n", " 1"),
                    cmd("INCR", "n"),
                    cmd("SET", "n", "1.0"),
                    cmd("INCR", "n"),
                    cmd("SET", "n", ""),
                    cmd("INCR", "n"),
                    cmd("SET", "n", "99999999999999999999"),
                    cmd("INCR", "n"),
                    cmd("SET", "n", kMin),
                    cmd("INCR", "n"),
                    cmd("SET", "t", "5", "EX", "100"),
                    cmd("INCR", "t"),
                    cmd("TTL", "t"),
                    cmd("INCR"),
                    cmd("INCR", "a", "b")})},
      {"mget and mset",
       cat({cmd("MSET", "a", "1", "b", "", "a", "3"), cmd("MGET", "a", "nope", "b"),
            cmd("MGET", "x"), cmd("MSET", "a"), cmd("MSET", "a", "b", "c"), cmd("MGET"),
            cmd("SET", "e", "1", "EX", "50"), cmd("MSET", "e", "2"), cmd("TTL", "e")})},
      {"del and exists",
       cat({cmd("MSET", "a", "1", "b", "2"), cmd("EXISTS", "a", "a", "b", "zz"),
            cmd("DEL", "a", "a", "zz"), cmd("EXISTS", "a"), cmd("DEL"), cmd("EXISTS")})},

      // Keyspace.
      {"keys, one match at a time",
       cat({cmd("KEYS", "*"), cmd("SET", "", "empty"), cmd("KEYS", "*"), cmd("KEYS", "**"),
            cmd("DEL", ""), cmd("MSET", "hello", "1", "world", "2"), cmd("KEYS", "h?llo"),
            cmd("KEYS", "h[a-f]llo"), cmd("KEYS", "h[^a]llo"), cmd("KEYS", "w*"), cmd("KEYS", "*d"),
            cmd("KEYS", "[z-a]ello"), cmd("KEYS", "nothing*"), cmd("KEYS", "hel\\lo"),
            cmd("KEYS", "[abc"), cmd("KEYS", "h[e"), cmd("KEYS"), cmd("KEYS", "a", "b")})},
      {"dbsize and flushall",
       cat({cmd("MSET", "a", "1", "b", "2"), cmd("DBSIZE"), cmd("DBSIZE", "x"),
            cmd("FLUSHALL", "x"), cmd("FLUSHALL", "ASYNC", "SYNC"), cmd("FLUSHALL", "sync"),
            cmd("DBSIZE"), cmd("FLUSHALL", "async"), cmd("FLUSHALL")})},

      // Expiry: relative, absolute (Unix time), huge, negative, overflowing.
      {"ttl, pttl, persist",
       cat({cmd("TTL", "nokey"), cmd("PTTL", "nokey"), cmd("SET", "k", "v"), cmd("TTL", "k"),
            cmd("PTTL", "k"), cmd("PERSIST", "k"), cmd("EXPIRE", "k", "100"), cmd("TTL", "k"),
            cmd("PERSIST", "k"), cmd("PERSIST", "k"), cmd("TTL", "k"), cmd("PERSIST", "nokey"),
            cmd("TTL"), cmd("PTTL", "a", "b"), cmd("PERSIST")})},
      {"set ex px: ttl in seconds",
       cat({cmd("SET", "k", "v", "EX", "100"), cmd("TTL", "k"),
            cmd("SET", "k", "v", "PX", "100000"), cmd("TTL", "k"), cmd("SET", "k", "w", "KEEPTTL"),
            cmd("TTL", "k"), cmd("SET", "k", "w"), cmd("TTL", "k"),
            cmd("SET", "k", "v", "EX", "10", "EX", "100"), cmd("TTL", "k"),
            cmd("SET", "k", "v", "ex", "100", "GET"), cmd("SET", "k", "v", "PX", "100000", "NX")})},
      {"set: TTLs beyond 292 years",
       cat({cmd("SET", "k", "v", "EX", "10000000000"), cmd("TTL", "k"),
            cmd("SET", "k", "v", "PX", "10000000000000000"), cmd("TTL", "k"),
            cmd("SET", "k", "v", "EX", "9000000000000000"), cmd("TTL", "k")})},
      {"set exat pxat: unix times", cat({cmd("SET", "k", "v", "EXAT", "99999999999"),
                                         cmd("EXPIRETIME", "k"),
                                         cmd("PEXPIRETIME", "k"),
                                         cmd("SET", "k", "v", "PXAT", "99999999999500"),
                                         cmd("EXPIRETIME", "k"),
                                         cmd("PEXPIRETIME", "k"),
                                         cmd("SET", "k", "v", "PXAT", "99999999999499"),
                                         cmd("EXPIRETIME", "k"),
                                         cmd("SET", "k", "v", "PXAT", kMax),
                                         cmd("EXPIRETIME", "k"),
                                         cmd("PEXPIRETIME", "k"),
                                         cmd("SET", "k", "v", "EXAT", "9223372036854775"),
                                         cmd("PEXPIRETIME", "k"),
                                         cmd("SET", "old", "v", "EXAT", "1"),
                                         cmd("GET", "old"),
                                         cmd("EXISTS", "old"),
                                         cmd("SET", "k", "w", "PXAT", "1", "GET"),
                                         cmd("GET", "k"),
                                         cmd("SET", "k", "v", "EXAT", "1", "EXAT", "99999999999"),
                                         cmd("EXPIRETIME", "k")})},
      {"set: invalid expire time", cat({cmd("SET", "k", "v"),
                                        cmd("SET", "k", "v", "EX", "0"),
                                        cmd("SET", "k", "v", "PX", "0"),
                                        cmd("SET", "k", "v", "EXAT", "0"),
                                        cmd("SET", "k", "v", "PXAT", "0"),
                                        cmd("SET", "k", "v", "EX", "-1"),
                                        cmd("SET", "k", "v", "PX", "-5"),
                                        cmd("SET", "k", "v", "EXAT", "-1"),
                                        cmd("SET", "k", "v", "PXAT", kMin),
                                        cmd("SET", "k", "v", "EX", kMax),
                                        cmd("SET", "k", "v", "PX", kMax),
                                        cmd("SET", "k", "v", "EX", "9223372036854776"),
                                        cmd("SET", "k", "v", "EX", "9223372036854775"),
                                        cmd("SET", "k", "v", "EXAT", "9223372036854776"),
                                        cmd("SET", "k", "v", "PX", "9223372036854775000"),
                                        cmd("SET", "k", "v", "EX", "abc"),
                                        cmd("SET", "k", "v", "PX", "1.5"),
                                        cmd("SET", "k", "v", "EXAT", "9223372036854775808"),
                                        cmd("SET", "k", "v", "PX", "+5"),
                                        cmd("SET", "k", "v", "EX", " 5"),
                                        cmd("SET", "k", "v", "EX", "05"),
                                        cmd("GET", "k"),
                                        cmd("TTL", "k")})},
      {"expire and pexpire", cat({cmd("EXPIRE", "nokey", "10"),
                                  cmd("PEXPIRE", "nokey", "10"),
                                  cmd("SET", "k", "v"),
                                  cmd("EXPIRE", "k", "100"),
                                  cmd("TTL", "k"),
                                  cmd("EXPIRE", "k", "50", "NX"),
                                  cmd("EXPIRE", "k", "50", "GT"),
                                  cmd("EXPIRE", "k", "200", "GT"),
                                  cmd("TTL", "k"),
                                  cmd("EXPIRE", "k", "300", "LT"),
                                  cmd("EXPIRE", "k", "20", "lt", "xx"),
                                  cmd("TTL", "k"),
                                  cmd("PEXPIRE", "k", "30000"),
                                  cmd("TTL", "k"),
                                  cmd("PERSIST", "k"),
                                  cmd("EXPIRE", "k", "10", "XX"),
                                  cmd("EXPIRE", "k", "10", "GT"),
                                  cmd("EXPIRE", "k", "10", "LT"),
                                  cmd("TTL", "k"),
                                  cmd("EXPIRE", "k", "10", "NX", "GT"),
                                  cmd("EXPIRE", "k", "10", "GT", "LT"),
                                  cmd("EXPIRE", "k", "10", "foo"),
                                  cmd("EXPIRE", "k", "1000", std::string("gt\0x", 4)),
                                  cmd("EXPIRE", "k", "x"),
                                  cmd("EXPIRE", "k", "1.5"),
                                  cmd("EXPIRE", "k"),
                                  cmd("PEXPIRE", "k"),
                                  cmd("EXPIRE", "k", "0"),
                                  cmd("EXISTS", "k"),
                                  cmd("SET", "k", "v"),
                                  cmd("EXPIRE", "k", "-5"),
                                  cmd("EXISTS", "k"),
                                  cmd("SET", "k", "v"),
                                  cmd("PEXPIRE", "k", "0"),
                                  cmd("EXISTS", "k")})},
      {"expire: huge, negative, overflowing", cat({cmd("SET", "k", "v"),
                                                   cmd("EXPIRE", "k", "10000000000"),
                                                   cmd("TTL", "k"),
                                                   cmd("EXPIRE", "k", "100000000000", "GT"),
                                                   cmd("TTL", "k"),
                                                   cmd("EXPIRE", "k", "10000000000", "GT"),
                                                   cmd("EXPIRE", "k", "10000000000", "LT"),
                                                   cmd("TTL", "k"),
                                                   cmd("EXPIRE", "k", kMax),
                                                   cmd("EXPIRE", "k", "9223372036854776"),
                                                   cmd("EXPIRE", "k", "9223372036854775"),
                                                   cmd("EXPIRE", "k", "-9223372036854776"),
                                                   cmd("PEXPIRE", "k", kMax),
                                                   cmd("PEXPIRE", "k", "9223372036854775000"),
                                                   cmd("EXPIRE", "k", kMin),
                                                   cmd("TTL", "k"),
                                                   cmd("EXPIRE", "nokey", "9223372036854776"),
                                                   cmd("EXPIRE", "nokey", "x", "foo"),
                                                   cmd("EXPIRE", "k", "-9223372036854775"),
                                                   cmd("EXISTS", "k"),
                                                   cmd("SET", "k", "v"),
                                                   cmd("PEXPIRE", "k", kMin),
                                                   cmd("EXISTS", "k")})},
      {"expireat and pexpireat: unix times", cat({cmd("EXPIREAT", "nokey", "99999999999"),
                                                  cmd("SET", "k", "v"),
                                                  cmd("EXPIREAT", "k", "99999999999"),
                                                  cmd("EXPIRETIME", "k"),
                                                  cmd("PEXPIRETIME", "k"),
                                                  cmd("PEXPIREAT", "k", kMax, "GT"),
                                                  cmd("PEXPIREAT", "k", kMax, "GT"),
                                                  cmd("PEXPIRETIME", "k"),
                                                  cmd("EXPIRETIME", "k"),
                                                  cmd("EXPIREAT", "k", "99999999999", "GT"),
                                                  cmd("EXPIREAT", "k", "99999999999", "LT"),
                                                  cmd("EXPIRETIME", "k"),
                                                  cmd("EXPIREAT", "k", "9223372036854775", "XX"),
                                                  cmd("PEXPIRETIME", "k"),
                                                  cmd("EXPIREAT", "k", "1", "NX"),
                                                  cmd("PERSIST", "k"),
                                                  cmd("EXPIREAT", "k", "99999999999", "GT"),
                                                  cmd("EXPIREAT", "k", "99999999999", "XX"),
                                                  cmd("EXPIREAT", "k", "99999999999", "NX"),
                                                  cmd("EXPIRETIME", "k"),
                                                  cmd("EXPIREAT", "k", "9223372036854776"),
                                                  cmd("EXPIREAT", "k", kMin),
                                                  cmd("PEXPIREAT", "k", "9223372036854775808"),
                                                  cmd("EXPIREAT", "k", "-9223372036854776"),
                                                  cmd("PEXPIREAT", "k", kMin, "LT"),
                                                  cmd("EXISTS", "k"),
                                                  cmd("SET", "k", "v"),
                                                  cmd("EXPIREAT", "k", "1"),
                                                  cmd("EXISTS", "k"),
                                                  cmd("SET", "k", "v"),
                                                  cmd("PEXPIREAT", "k", "0"),
                                                  cmd("EXISTS", "k"),
                                                  cmd("SET", "k", "v"),
                                                  cmd("EXPIREAT", "k", "-1"),
                                                  cmd("EXISTS", "k"),
                                                  cmd("EXPIREAT", "k"),
                                                  cmd("PEXPIREAT", "k", "1", "foo")})},
      {"expiretime and pexpiretime",
       cat({cmd("EXPIRETIME", "nokey"), cmd("PEXPIRETIME", "nokey"), cmd("SET", "k", "v"),
            cmd("EXPIRETIME", "k"), cmd("PEXPIRETIME", "k"), cmd("EXPIRETIME"),
            cmd("PEXPIRETIME", "a", "b")})},

      // What clients send on connect, where the answers are the same.
      {"config get", cat({cmd("CONFIG", "GET", "save"), cmd("CONFIG", "GET", "appendonly"),
                          cmd("config", "get", "nothing"), cmd("CONFIG", "GET"),
                          cmd("CONFIG", "foo"), cmd("CONFIG")})},
      {"command subcommands", cat({cmd("COMMAND", "foo"), cmd("COMMAND", "COUNT", "x")})},

      // Unknown commands and arity.
      {"unknown commands",
       cat({cmd("foo"), cmd("foo", "a", "b"), cmd("foo", "a\r\nb"),
            cmd("foo", std::string(200, 'x')), cmd(std::string("a\0b", 3), std::string("c\0d", 3)),
            cmd("foo", std::string(100, 'a'), std::string(100, 'b'), "c"),
            cmd(std::string(300, 'z')), cmd("GET\0", "k"), cmd(""), cmd("PING")})},

      // Inline commands.
      {"inline", "SET a b\r\nGET a\r\nget   a  \r\n\r\n  \r\nPING\nECHO x\r\n"},
      {"inline quoting",
       "SET \"a b\" 'c d'\r\nGET \"a b\"\r\nECHO \"\\x41\\n\\t\\\\\"\r\nECHO 'it\\'s'\r\nECHO "
       "\"\\xzz\"\r\n"},
      {"inline: unbalanced quotes", "PING\r\nECHO \"abc\r\nPING\r\n"},
      {"inline: closing quote not followed by space", "PING\r\nECHO \"a\"b\r\n"},
      {"inline: too big", cat({"PING\r\n", std::string(70000, 'a')})},

      // Multibulk framing and protocol errors.
      {"multibulk: empty commands skipped", "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n"},
      {"multibulk: bytes after a bulk are not checked",
       "*2\r\n$4\r\nECHO\r\n$1\r\nxYZ*1\r\n$4\r\nPING\r\n"},
      {"multibulk: invalid bulk length", cat({cmd("PING"), "*1\r\n$-7\r\n", cmd("PING")})},
      {"multibulk: bulk length not a number", "*1\r\n$x\r\n"},
      {"multibulk: bulk length over 512mb", "*1\r\n$536870913\r\n"},
      {"multibulk: bulk length of exactly 512mb waits", cat({"*1\r\n$536870912\r\n", "abc"})},
      {"multibulk: invalid multibulk length", "*x\r\n"},
      {"multibulk: negative count below -1", "*-2\r\n*1\r\n$4\r\nPING\r\n"},
      {"multibulk: expected $", "*1\r\nfoo\r\n"},
      {"multibulk: expected $, got a space", "*2\r\n$4\r\nECHO\r\n 4\r\n"},
      {"multibulk: count with leading zero", "*01\r\n$4\r\nPING\r\n"},
      {"multibulk: count with a plus", "*+1\r\n$4\r\nPING\r\n"},
      {"multibulk: unfinished at the end", cat({cmd("PING"), "*2\r\n$3\r\nGET\r\n"})},
  };
}

std::string redis_server_path() { return kv_test::find_on_path("redis-server"); }

}  // namespace

TEST_SUITE("kv.differential") {
  TEST_CASE("kv_server and redis-server answer the same bytes with the same bytes") {
    const std::string redis_path = redis_server_path();
    if (redis_path.empty()) {
      MESSAGE(
          "SKIPPED: redis-server is not on PATH (Debian package redis-server; tools/test "
          "installs it), so kv_server cannot be compared with it");
      return;
    }
    KvServer kv;
    RedisServer redis(redis_path, free_port());
    const std::string flush = cmd("FLUSHALL");
    for (const Case& c : cases()) {
      const std::string request = flush + c.request;
      const std::string expected = exchange(redis.port(), request);
      const std::string got = exchange(kv.port(), request);
      INFO("case '" << c.name << "'\n  request:      " << escaped(request) << "\n  redis-server: "
                    << escaped(expected) << "\n  kv_server:    " << escaped(got));
      CHECK(got == expected);
    }
  }

}  // TEST_SUITE
