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

// Commands written one per line as redis-cli takes them (Redis's quoting: "a b", "", "\x00"),
// as the arrays of bulk strings clients send.
std::string commands(std::string_view lines) {
  std::string text(lines);
  text += '\n';
  std::string out;
  kv::RequestParser parser;
  std::string_view rest = text;
  for (;;) {
    kv::ParseResult r = parser.parse(rest);
    REQUIRE(r.status != kv::ParseStatus::error);
    if (r.status == kv::ParseStatus::incomplete) return out;
    kv::resp::array_header(out, parser.args().size());
    for (std::string_view arg : parser.args()) kv::resp::bulk(out, arg);
    rest.remove_prefix(r.consumed);
  }
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

std::vector<Case> cases() {
  return {
      // Connection and echo.
      {"ping", cat({commands(R"(PING
ping hello
PING a b)"),
                    "PING\r\n"})},
      {"echo", commands(R"(ECHO "x y"
echo ""
ECHO
ECHO a b)")},
      {"quit ends the connection", commands(R"(SET k v
QUIT
GET k)")},
      {"quit with arguments", commands(R"(QUIT now
PING)")},

      // Strings.
      {"get and set", cat({commands(R"(GET k
SET k v
gEt k
SET k "a\x00b\r\nc"
GET k
SET "" ""
GET ""
GET
GET a b
SET k)")})},
      {"set nx xx get", commands(R"(SET k v XX
SET k v NX
SET k w nx
SET k w xx
SET k x GET
SET new x GET
SET k y NX GET
SET k2 y XX GET
SET k z GET GET XX XX
GET k)")},
      {"set syntax errors", commands(R"(SET k v NX XX
SET k v EX 10 PX 5
SET k v KEEPTTL EX 5
SET k v EX 5 KEEPTTL
SET k v EX
SET k v foo
SET k v EXAT 5 PX 5
SET k v PXAT 5 EXAT 5
SET k v PXAT
SET k v KEEPTTL PXAT 5
SET k v GETX
SET k v "nx\x00junk"
GET k)")},
      {"incr", cat({commands(R"(INCR n
INCR n
GET n
SET n -1
INCR n
SET n 9223372036854775806
INCR n
INCR n
SET n abc
INCR n
SET n 007
INCR n
SET n " 1"
INCR n
SET n 1.0
INCR n
SET n ""
INCR n
SET n 99999999999999999999
INCR n
SET n -9223372036854775808
INCR n
SET t 5 EX 100
INCR t
TTL t
INCR
INCR a b)")})},
      {"mget and mset", commands(R"(MSET a 1 b "" a 3
MGET a nope b
MGET x
MSET a
MSET a b c
MGET
SET e 1 EX 50
MSET e 2
TTL e)")},
      {"del and exists", commands(R"(MSET a 1 b 2
EXISTS a a b zz
DEL a a zz
EXISTS a
DEL
EXISTS)")},

      // Keyspace.
      {"keys, one match at a time", cat({commands(R"(KEYS *
SET "" empty
KEYS *
KEYS **
DEL ""
MSET hello 1 world 2
KEYS h?llo
KEYS h[a-f]llo
KEYS h[^a]llo
KEYS w*
KEYS *d
KEYS [z-a]ello
KEYS nothing*
KEYS "hel\\lo"
KEYS [abc
KEYS h[e
KEYS
KEYS a b)")})},
      {"dbsize and flushall", commands(R"(MSET a 1 b 2
DBSIZE
DBSIZE x
FLUSHALL x
FLUSHALL ASYNC SYNC
FLUSHALL sync
DBSIZE
FLUSHALL async
FLUSHALL)")},

      // Expiry: relative, absolute (Unix time), huge, negative, overflowing.
      {"ttl, pttl, persist", commands(R"(TTL nokey
PTTL nokey
SET k v
TTL k
PTTL k
PERSIST k
EXPIRE k 100
TTL k
PERSIST k
PERSIST k
TTL k
PERSIST nokey
TTL
PTTL a b
PERSIST)")},
      {"set ex px: ttl in seconds", commands(R"(SET k v EX 100
TTL k
SET k v PX 100000
TTL k
SET k w KEEPTTL
TTL k
SET k w
TTL k
SET k v EX 10 EX 100
TTL k
SET k v ex 100 GET
SET k v PX 100000 NX)")},
      {"set: TTLs beyond 292 years", commands(R"(SET k v EX 10000000000
TTL k
SET k v PX 10000000000000000
TTL k
SET k v EX 9000000000000000
TTL k)")},
      {"set exat pxat: unix times", commands(R"(SET k v EXAT 99999999999
EXPIRETIME k
PEXPIRETIME k
SET k v PXAT 99999999999500
EXPIRETIME k
PEXPIRETIME k
SET k v PXAT 99999999999499
EXPIRETIME k
SET k v PXAT 9223372036854775807
EXPIRETIME k
PEXPIRETIME k
SET k v EXAT 9223372036854775
PEXPIRETIME k
SET old v EXAT 1
GET old
EXISTS old
SET k w PXAT 1 GET
GET k
SET k v EXAT 1 EXAT 99999999999
EXPIRETIME k)")},
      {"set: invalid expire time", commands(R"(SET k v
SET k v EX 0
SET k v PX 0
SET k v EXAT 0
SET k v PXAT 0
SET k v EX -1
SET k v PX -5
SET k v EXAT -1
SET k v PXAT -9223372036854775808
SET k v EX 9223372036854775807
SET k v PX 9223372036854775807
SET k v EX 9223372036854776
SET k v EX 9223372036854775
SET k v EXAT 9223372036854776
SET k v PX 9223372036854775000
SET k v EX abc
SET k v PX 1.5
SET k v EXAT 9223372036854775808
SET k v PX +5
SET k v EX " 5"
SET k v EX 05
GET k
TTL k)")},
      {"expire and pexpire", cat({commands(R"(EXPIRE nokey 10
PEXPIRE nokey 10
SET k v
EXPIRE k 100
TTL k
EXPIRE k 50 NX
EXPIRE k 50 GT
EXPIRE k 200 GT
TTL k
EXPIRE k 300 LT
EXPIRE k 20 lt xx
TTL k
PEXPIRE k 30000
TTL k
PERSIST k
EXPIRE k 10 XX
EXPIRE k 10 GT
EXPIRE k 10 LT
TTL k
EXPIRE k 10 NX GT
EXPIRE k 10 GT LT
EXPIRE k 10 foo
EXPIRE k 1000 "gt\x00x"
EXPIRE k x
EXPIRE k 1.5
EXPIRE k
PEXPIRE k
EXPIRE k 0
EXISTS k
SET k v
EXPIRE k -5
EXISTS k
SET k v
PEXPIRE k 0
EXISTS k)")})},
      {"expire: huge, negative, overflowing", commands(R"(SET k v
EXPIRE k 10000000000
TTL k
EXPIRE k 100000000000 GT
TTL k
EXPIRE k 10000000000 GT
EXPIRE k 10000000000 LT
TTL k
EXPIRE k 9223372036854775807
EXPIRE k 9223372036854776
EXPIRE k 9223372036854775
EXPIRE k -9223372036854776
PEXPIRE k 9223372036854775807
PEXPIRE k 9223372036854775000
EXPIRE k -9223372036854775808
TTL k
EXPIRE nokey 9223372036854776
EXPIRE nokey x foo
EXPIRE k -9223372036854775
EXISTS k
SET k v
PEXPIRE k -9223372036854775808
EXISTS k)")},
      {"expireat and pexpireat: unix times", commands(R"(EXPIREAT nokey 99999999999
SET k v
EXPIREAT k 99999999999
EXPIRETIME k
PEXPIRETIME k
PEXPIREAT k 9223372036854775807 GT
PEXPIREAT k 9223372036854775807 GT
PEXPIRETIME k
EXPIRETIME k
EXPIREAT k 99999999999 GT
EXPIREAT k 99999999999 LT
EXPIRETIME k
EXPIREAT k 9223372036854775 XX
PEXPIRETIME k
EXPIREAT k 1 NX
PERSIST k
EXPIREAT k 99999999999 GT
EXPIREAT k 99999999999 XX
EXPIREAT k 99999999999 NX
EXPIRETIME k
EXPIREAT k 9223372036854776
EXPIREAT k -9223372036854775808
PEXPIREAT k 9223372036854775808
EXPIREAT k -9223372036854776
PEXPIREAT k -9223372036854775808 LT
EXISTS k
SET k v
EXPIREAT k 1
EXISTS k
SET k v
PEXPIREAT k 0
EXISTS k
SET k v
EXPIREAT k -1
EXISTS k
EXPIREAT k
PEXPIREAT k 1 foo)")},
      {"expiretime and pexpiretime", commands(R"(EXPIRETIME nokey
PEXPIRETIME nokey
SET k v
EXPIRETIME k
PEXPIRETIME k
EXPIRETIME
PEXPIRETIME a b)")},

      // What clients send on connect, where the answers are the same.
      {"config get", commands(R"(CONFIG GET save
CONFIG GET appendonly
config get nothing
CONFIG GET
CONFIG foo
CONFIG)")},
      {"command subcommands", commands(R"(COMMAND foo
COMMAND COUNT x)")},

      // Unknown commands and arity.
      {"unknown commands", cat({commands(R"(foo
foo a b
foo "a\r\nb"
"GET\x00" k
"a\x00b" "c\x00d"
""
PING)"),
                                cmd("foo", std::string(200, 'x')),
                                cmd("foo", std::string(100, 'a'), std::string(100, 'b'), "c"),
                                cmd(std::string(300, 'z'))})},

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
