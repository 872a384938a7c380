// Every command's exact reply bytes (compared with redis-server 7.0), expiry under the virtual
// clock, and KEYS's glob.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "commands.hpp"
#include "kv_support.hpp"

using namespace std::chrono_literals;
using kv_test::cmd;
using kv_test::in_virtual_loop;
using kv_test::Session;

namespace {

// Runs `body(session)` on a fresh store under the virtual clock.
template <class F>
void with_session(F&& body) {
  in_virtual_loop([&] {
    kv::Store store;
    Session s(store);
    body(s);
  });
}

std::vector<std::string> sorted_bulks_of_array(std::string_view reply) {
  // "*N\r\n" then N bulk strings without CR/LF inside.
  std::vector<std::string> out;
  std::size_t pos = reply.find("\r\n") + 2;
  while (pos < reply.size()) {
    std::size_t eol = reply.find("\r\n", pos);
    std::size_t len = std::stoul(std::string(reply.substr(pos + 1, eol - pos - 1)));
    out.emplace_back(reply.substr(eol + 2, len));
    pos = eol + 2 + len + 2;
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_SUITE("kv.commands") {

TEST_CASE("PING and ECHO") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("PING")) == "+PONG\r\n");
    CHECK(s.feed(cmd("ping", "hello")) == "$5\r\nhello\r\n");
    CHECK(s.feed(cmd("PING", "a", "b")) == "-ERR wrong number of arguments for 'ping' command\r\n");
    CHECK(s.feed(cmd("ECHO", "x y")) == "$3\r\nx y\r\n");
    CHECK(s.feed(cmd("echo", "")) == "$0\r\n\r\n");
    CHECK(s.feed(cmd("ECHO")) == "-ERR wrong number of arguments for 'echo' command\r\n");
    CHECK(s.feed("PING\r\n") == "+PONG\r\n");
  });
}

TEST_CASE("GET and SET, names in any case") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("GET", "k")) == "$-1\r\n");
    CHECK(s.feed(cmd("SET", "k", "v")) == "+OK\r\n");
    CHECK(s.feed(cmd("gEt", "k")) == "$1\r\nv\r\n");
    CHECK(s.feed(cmd("set", "k", std::string("a\r\n\0b", 5))) == "+OK\r\n");
    CHECK(s.feed(cmd("GET", "k")) == std::string("$5\r\na\r\n\0b\r\n", 11));
    CHECK(s.feed(cmd("SET", "", "")) == "+OK\r\n");
    CHECK(s.feed(cmd("GET", "")) == "$0\r\n\r\n");
    CHECK(s.feed(cmd("GET")) == "-ERR wrong number of arguments for 'get' command\r\n");
    CHECK(s.feed(cmd("GET", "a", "b")) == "-ERR wrong number of arguments for 'get' command\r\n");
    CHECK(s.feed(cmd("SET", "k")) == "-ERR wrong number of arguments for 'set' command\r\n");
  });
}

TEST_CASE("SET options: NX, XX, GET, KEEPTTL, EX, PX and their errors") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("SET", "k", "v", "XX")) == "$-1\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "NX")) == "+OK\r\n");
    CHECK(s.feed(cmd("SET", "k", "w", "nx")) == "$-1\r\n");
    CHECK(s.feed(cmd("SET", "k", "w", "xx")) == "+OK\r\n");
    CHECK(s.feed(cmd("GET", "k")) == "$1\r\nw\r\n");
    CHECK(s.feed(cmd("SET", "k", "x", "GET")) == "$1\r\nw\r\n");
    CHECK(s.feed(cmd("SET", "new", "x", "GET")) == "$-1\r\n");
    CHECK(s.feed(cmd("SET", "k", "y", "NX", "GET")) == "$1\r\nx\r\n");  // old value, not set
    CHECK(s.feed(cmd("GET", "k")) == "$1\r\nx\r\n");
    CHECK(s.feed(cmd("SET", "k2", "y", "XX")) == "$-1\r\n");

    CHECK(s.feed(cmd("SET", "k", "v", "NX", "XX")) == "-ERR syntax error\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "EX", "10", "PX", "5")) == "-ERR syntax error\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "KEEPTTL", "EX", "5")) == "-ERR syntax error\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "EX", "5", "KEEPTTL")) == "-ERR syntax error\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "EX")) == "-ERR syntax error\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "foo")) == "-ERR syntax error\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "EXAT", "5", "PX", "5")) == "-ERR syntax error\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "EX", "abc")) ==
          "-ERR value is not an integer or out of range\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "EX", "0")) == "-ERR invalid expire time in 'set' command\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "PX", "-5")) == "-ERR invalid expire time in 'set' command\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "EX", "9223372036854775807")) ==
          "-ERR invalid expire time in 'set' command\r\n");
    CHECK(s.feed(cmd("SET", "k", "v", "PX", "9223372036854775807")) ==
          "-ERR invalid expire time in 'set' command\r\n");
    CHECK(s.feed(cmd("GET", "k")) == "$1\r\nx\r\n");  // none of the failed SETs touched it
  });
}

TEST_CASE("SET k v EX 10: the value through its 10th second, then nil; TTL counts down") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("SET", "k", "v", "EX", "10")) == "+OK\r\n");
    CHECK(s.feed(cmd("TTL", "k")) == ":10\r\n");
    CHECK(s.feed(cmd("PTTL", "k")) == ":10000\r\n");
    spindle::sleep(9s);
    CHECK(s.feed(cmd("GET", "k")) == "$1\r\nv\r\n");
    CHECK(s.feed(cmd("TTL", "k")) == ":1\r\n");
    spindle::sleep(400ms);
    CHECK(s.feed(cmd("TTL", "k")) == ":1\r\n");  // 600 ms, rounded as Redis does
    CHECK(s.feed(cmd("PTTL", "k")) == ":600\r\n");
    spindle::sleep(200ms);
    CHECK(s.feed(cmd("TTL", "k")) == ":0\r\n");  // 400 ms
    spindle::sleep(400ms);
    CHECK(s.feed(cmd("PTTL", "k")) == ":0\r\n");  // Redis: alive through its expiry millisecond
    CHECK(s.feed(cmd("GET", "k")) == "$1\r\nv\r\n");
    spindle::sleep(1ms);
    CHECK(s.feed(cmd("GET", "k")) == "$-1\r\n");
    CHECK(s.feed(cmd("TTL", "k")) == ":-2\r\n");
    CHECK(s.feed(cmd("EXISTS", "k")) == ":0\r\n");
  });
}

TEST_CASE("PX, KEEPTTL, and a plain SET that makes the key persistent") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("SET", "k", "v", "PX", "1500")) == "+OK\r\n");
    CHECK(s.feed(cmd("PTTL", "k")) == ":1500\r\n");
    CHECK(s.feed(cmd("TTL", "k")) == ":2\r\n");
    CHECK(s.feed(cmd("SET", "k", "w", "KEEPTTL")) == "+OK\r\n");
    CHECK(s.feed(cmd("PTTL", "k")) == ":1500\r\n");
    spindle::sleep(1500ms);
    CHECK(s.feed(cmd("GET", "k")) == "$1\r\nw\r\n");
    spindle::sleep(1ms);
    CHECK(s.feed(cmd("GET", "k")) == "$-1\r\n");

    CHECK(s.feed(cmd("SET", "p", "v", "EX", "5")) == "+OK\r\n");
    CHECK(s.feed(cmd("SET", "p", "v2")) == "+OK\r\n");
    CHECK(s.feed(cmd("TTL", "p")) == ":-1\r\n");
    spindle::sleep(10s);
    CHECK(s.feed(cmd("GET", "p")) == "$2\r\nv2\r\n");
  });
}

TEST_CASE("EXPIRE, TTL, PTTL, PERSIST") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("TTL", "nokey")) == ":-2\r\n");
    CHECK(s.feed(cmd("PTTL", "nokey")) == ":-2\r\n");
    CHECK(s.feed(cmd("EXPIRE", "nokey", "10")) == ":0\r\n");
    CHECK(s.feed(cmd("SET", "k", "v")) == "+OK\r\n");
    CHECK(s.feed(cmd("TTL", "k")) == ":-1\r\n");
    CHECK(s.feed(cmd("PTTL", "k")) == ":-1\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "100")) == ":1\r\n");
    CHECK(s.feed(cmd("TTL", "k")) == ":100\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "50", "NX")) == ":0\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "50", "GT")) == ":0\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "200", "GT")) == ":1\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "300", "LT")) == ":0\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "20", "lt", "xx")) == ":1\r\n");
    CHECK(s.feed(cmd("TTL", "k")) == ":20\r\n");
    CHECK(s.feed(cmd("PERSIST", "k")) == ":1\r\n");
    CHECK(s.feed(cmd("PERSIST", "k")) == ":0\r\n");
    CHECK(s.feed(cmd("TTL", "k")) == ":-1\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "10", "XX")) == ":0\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "10", "GT")) == ":0\r\n");  // no TTL counts as infinite
    CHECK(s.feed(cmd("EXPIRE", "k", "10", "LT")) == ":1\r\n");
    spindle::sleep(10001ms);
    CHECK(s.feed(cmd("GET", "k")) == "$-1\r\n");

    CHECK(s.feed(cmd("SET", "k", "v")) == "+OK\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "0")) == ":1\r\n");  // already expired: deleted
    CHECK(s.feed(cmd("EXISTS", "k")) == ":0\r\n");
    CHECK(s.feed(cmd("SET", "k", "v")) == "+OK\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "-5")) == ":1\r\n");
    CHECK(s.feed(cmd("EXISTS", "k")) == ":0\r\n");

    CHECK(s.feed(cmd("EXPIRE", "k", "x")) == "-ERR value is not an integer or out of range\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "10", "foo")) == "-ERR Unsupported option foo\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "10", "nx", "xx")) ==
          "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "10", "gt", "lt")) ==
          "-ERR GT and LT options at the same time are not compatible\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k", "9223372036854775807")) ==
          "-ERR invalid expire time in 'expire' command\r\n");
    CHECK(s.feed(cmd("EXPIRE", "k")) == "-ERR wrong number of arguments for 'expire' command\r\n");
    CHECK(s.feed(cmd("TTL")) == "-ERR wrong number of arguments for 'ttl' command\r\n");
  });
}

TEST_CASE("DEL and EXISTS count keys, duplicates included") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("MSET", "a", "1", "b", "2")) == "+OK\r\n");
    CHECK(s.feed(cmd("EXISTS", "a", "a", "b", "zz")) == ":3\r\n");
    CHECK(s.feed(cmd("DEL", "a", "a", "zz")) == ":1\r\n");
    CHECK(s.feed(cmd("EXISTS", "a")) == ":0\r\n");
    CHECK(s.feed(cmd("DEL")) == "-ERR wrong number of arguments for 'del' command\r\n");
    CHECK(s.feed(cmd("EXISTS")) == "-ERR wrong number of arguments for 'exists' command\r\n");
  });
}

TEST_CASE("INCR") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("INCR", "n")) == ":1\r\n");
    CHECK(s.feed(cmd("INCR", "n")) == ":2\r\n");
    CHECK(s.feed(cmd("GET", "n")) == "$1\r\n2\r\n");
    CHECK(s.feed(cmd("SET", "n", "-1")) == "+OK\r\n");
    CHECK(s.feed(cmd("INCR", "n")) == ":0\r\n");
    CHECK(s.feed(cmd("SET", "n", "9223372036854775806")) == "+OK\r\n");
    CHECK(s.feed(cmd("INCR", "n")) == ":9223372036854775807\r\n");
    CHECK(s.feed(cmd("INCR", "n")) == "-ERR increment or decrement would overflow\r\n");
    for (const char* bad : {"abc", "007", " 1", "1.0", "", "99999999999999999999"}) {
      CAPTURE(bad);
      CHECK(s.feed(cmd("SET", "n", bad)) == "+OK\r\n");
      CHECK(s.feed(cmd("INCR", "n")) == "-ERR value is not an integer or out of range\r\n");
    }
    CHECK(s.feed(cmd("SET", "t", "5", "EX", "10")) == "+OK\r\n");
    CHECK(s.feed(cmd("INCR", "t")) == ":6\r\n");
    CHECK(s.feed(cmd("TTL", "t")) == ":10\r\n");  // INCR keeps the expiry
    CHECK(s.feed(cmd("INCR")) == "-ERR wrong number of arguments for 'incr' command\r\n");
  });
}

TEST_CASE("MGET and MSET") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("MSET", "a", "1", "b", "", "a", "3")) == "+OK\r\n");
    CHECK(s.feed(cmd("MGET", "a", "nope", "b")) == "*3\r\n$1\r\n3\r\n$-1\r\n$0\r\n\r\n");
    CHECK(s.feed(cmd("MGET", "x")) == "*1\r\n$-1\r\n");
    CHECK(s.feed(cmd("MSET", "a")) == "-ERR wrong number of arguments for 'mset' command\r\n");
    CHECK(s.feed(cmd("MSET", "a", "b", "c")) ==
          "-ERR wrong number of arguments for 'mset' command\r\n");
    CHECK(s.feed(cmd("MGET")) == "-ERR wrong number of arguments for 'mget' command\r\n");
    CHECK(s.feed(cmd("SET", "e", "1", "EX", "5")) == "+OK\r\n");
    CHECK(s.feed(cmd("MSET", "e", "2")) == "+OK\r\n");
    CHECK(s.feed(cmd("TTL", "e")) == ":-1\r\n");  // MSET clears the expiry
  });
}

TEST_CASE("KEYS, DBSIZE and FLUSHALL") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("KEYS", "*")) == "*0\r\n");
    CHECK(s.feed(cmd("SET", "", "empty")) == "+OK\r\n");
    CHECK(s.feed(cmd("KEYS", "*")) == "*1\r\n$0\r\n\r\n");
    CHECK(s.feed(cmd("KEYS", "**")) == "*0\r\n");
    CHECK(s.feed(cmd("DEL", "")) == ":1\r\n");
    CHECK(s.feed(cmd("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "heeeello", "4", "world",
                     "5")) == "+OK\r\n");
    CHECK(s.feed(cmd("SET", "soon", "x", "PX", "10")) == "+OK\r\n");
    CHECK(s.feed(cmd("DBSIZE")) == ":6\r\n");
    CHECK(sorted_bulks_of_array(s.feed(cmd("KEYS", "*"))) ==
          std::vector<std::string>{"hallo", "heeeello", "hello", "hxllo", "soon", "world"});
    CHECK(sorted_bulks_of_array(s.feed(cmd("KEYS", "h?llo"))) ==
          std::vector<std::string>{"hallo", "hello", "hxllo"});
    CHECK(sorted_bulks_of_array(s.feed(cmd("KEYS", "h*llo"))) ==
          std::vector<std::string>{"hallo", "heeeello", "hello", "hxllo"});
    CHECK(sorted_bulks_of_array(s.feed(cmd("KEYS", "h[ae]llo"))) ==
          std::vector<std::string>{"hallo", "hello"});
    CHECK(sorted_bulks_of_array(s.feed(cmd("KEYS", "h[^e]llo"))) ==
          std::vector<std::string>{"hallo", "hxllo"});
    CHECK(sorted_bulks_of_array(s.feed(cmd("KEYS", "h[a-b]llo"))) ==
          std::vector<std::string>{"hallo"});
    CHECK(s.feed(cmd("KEYS", "nothing*")) == "*0\r\n");
    CHECK(s.feed(cmd("KEYS", "world")) == "*1\r\n$5\r\nworld\r\n");
    spindle::sleep(11ms);
    CHECK(s.feed(cmd("KEYS", "s*")) == "*0\r\n");  // expired keys are not listed
    CHECK(s.feed(cmd("DBSIZE")) == ":5\r\n");
    CHECK(s.feed(cmd("KEYS")) == "-ERR wrong number of arguments for 'keys' command\r\n");
    CHECK(s.feed(cmd("FLUSHALL", "x")) == "-ERR syntax error\r\n");
    CHECK(s.feed(cmd("FLUSHALL", "ASYNC", "SYNC")) == "-ERR syntax error\r\n");
    CHECK(s.feed(cmd("FLUSHALL")) == "+OK\r\n");
    CHECK(s.feed(cmd("DBSIZE")) == ":0\r\n");
    CHECK(s.feed(cmd("flushall", "sync")) == "+OK\r\n");
    CHECK(s.feed(cmd("FLUSHALL", "async")) == "+OK\r\n");
  });
}

TEST_CASE("glob: Redis's stringmatchlen") {
  using kv::glob_match;
  CHECK_FALSE(glob_match("*", ""));  // as in Redis (KEYS * lists "" through its all-keys path)
  CHECK(glob_match("*", "abc"));
  CHECK(glob_match("**", "abc"));
  CHECK(glob_match("a*", "a"));
  CHECK(glob_match("a*c", "abbbc"));
  CHECK_FALSE(glob_match("a*c", "abbbd"));
  CHECK(glob_match("*a*b*c*", "xaybzc"));
  CHECK_FALSE(glob_match("?", ""));
  CHECK(glob_match("?", "x"));
  CHECK_FALSE(glob_match("??", "x"));
  CHECK(glob_match("[abc]", "b"));
  CHECK_FALSE(glob_match("[abc]", "d"));
  CHECK(glob_match("[^abc]", "d"));
  CHECK_FALSE(glob_match("[^abc]", "a"));
  CHECK(glob_match("[a-z]", "m"));
  CHECK(glob_match("[z-a]", "m"));  // reversed ranges are swapped
  CHECK_FALSE(glob_match("[a-z]", "M"));
  CHECK(glob_match("[\\]]", "]"));
  CHECK(glob_match("[a\\-z]", "-"));
  CHECK_FALSE(glob_match("[a\\-z]", "m"));
  CHECK(glob_match("\\*", "*"));
  CHECK_FALSE(glob_match("\\*", "a"));
  CHECK(glob_match("\\?x", "?x"));
  CHECK(glob_match("a\\", "a\\"));  // a trailing backslash is literal
  CHECK(glob_match("[abc", "a"));   // an unclosed class ends at the pattern's end
  CHECK(glob_match("[abc", "c"));
  CHECK_FALSE(glob_match("[]", "a"));
  CHECK(glob_match("[^]", "a"));
  CHECK_FALSE(glob_match("h[a-]", "h-"));  // "a-]" is a range (']'..'a'); the class is unclosed
  CHECK(glob_match("user:*:name", "user:42:name"));
  CHECK_FALSE(glob_match("user:*:name", "user:42:mail"));
  CHECK_FALSE(glob_match("", "a"));
  CHECK(glob_match("", ""));
  // Pathological patterns finish quickly (Redis's skip-longer-matches rule).
  std::string text(200, 'a');
  CHECK_FALSE(glob_match("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
}

TEST_CASE("what clients send on connect: COMMAND DOCS, CONFIG GET") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("COMMAND", "DOCS")) == "*0\r\n");
    CHECK(s.feed(cmd("command", "docs", "get")) == "*0\r\n");
    CHECK(s.feed(cmd("COMMAND")) == "*0\r\n");
    CHECK(s.feed(cmd("COMMAND", "COUNT")) == ":24\r\n");
    CHECK(s.feed(cmd("COMMAND", "foo")) == "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n");
    CHECK(s.feed(cmd("CONFIG", "GET", "save")) == "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
    CHECK(s.feed(cmd("CONFIG", "GET", "appendonly")) == "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
    CHECK(s.feed(cmd("config", "get", "nothing")) == "*0\r\n");
    CHECK(s.feed(cmd("CONFIG", "GET", "*", "save")) ==
          "*4\r\n$4\r\nsave\r\n$0\r\n\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
    CHECK(s.feed(cmd("CONFIG", "GET")) ==
          "-ERR wrong number of arguments for 'config|get' command\r\n");
    CHECK(s.feed(cmd("CONFIG", "foo")) == "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n");
    CHECK(s.feed(cmd("CONFIG")) == "-ERR wrong number of arguments for 'config' command\r\n");
  });
}

TEST_CASE("unknown commands: Redis 7's wording, arguments quoted and cut at 128 bytes") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("foo")) == "-ERR unknown command 'foo', with args beginning with: \r\n");
    CHECK(s.feed(cmd("foo", "a", "b")) ==
          "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
    CHECK(s.feed(cmd("foo", "a\r\nb")) ==
          "-ERR unknown command 'foo', with args beginning with: 'a  b' \r\n");
    CHECK(s.feed(cmd("foo", std::string(200, 'x'))) ==
          "-ERR unknown command 'foo', with args beginning with: '" + std::string(128, 'x') +
              "' \r\n");
    CHECK(s.feed(cmd(std::string("a\0b", 3), std::string("c\0d", 3))) ==
          "-ERR unknown command 'a', with args beginning with: 'c' \r\n");
    std::string many = s.feed(cmd("foo", std::string(100, 'a'), std::string(100, 'b'), "c"));
    CHECK(many == "-ERR unknown command 'foo', with args beginning with: '" + std::string(100, 'a') +
                      "' '" + std::string(25, 'b') + "' \r\n");
    CHECK(s.feed(cmd(std::string(300, 'z'))) == "-ERR unknown command '" + std::string(128, 'z') +
                                                    "', with args beginning with: \r\n");
    CHECK_FALSE(s.closed());
  });
}

TEST_CASE("QUIT answers OK and closes; a protocol error answers and closes") {
  with_session([](Session& s) {
    CHECK(s.feed(cmd("QUIT") + cmd("PING")) == "+OK\r\n");
    CHECK(s.closed());
  });
  with_session([](Session& s) {
    CHECK(s.feed(cmd("PING") + "*1\r\n$x\r\n" + cmd("PING")) ==
          "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    CHECK(s.closed());
  });
}

TEST_CASE("a pipelined batch gets its replies in order, in one buffer") {
  with_session([](Session& s) {
    std::string batch;
    std::string expected;
    for (int i = 0; i < 100; ++i) {
      std::string key = "k";  // built piecewise: g++ 12 warns falsely (-Wrestrict) on "k" + string
      key += std::to_string(i);
      batch += cmd("SET", key, std::to_string(i)) + cmd("INCR", key) + cmd("GET", key);
      std::string v = std::to_string(i + 1);
      expected += "+OK\r\n:" + v + "\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
    }
    CHECK(s.feed(batch) == expected);
    CHECK(s.commands() == 300);
  });
}

TEST_CASE("the sweep removes expired keys nobody reads") {
  in_virtual_loop([] {
    kv::Store store(1'000'000);
    Session s(store);
    s.feed(cmd("SET", "a", "1", "EX", "1") + cmd("SET", "b", "2", "EX", "2") + cmd("SET", "c", "3"));
    CHECK(store.next_expiry() == 1'001'000);
    spindle::sleep(1s);
    CHECK(store.sweep() == 0);  // "a" lives through its expiry millisecond
    spindle::sleep(1ms);
    CHECK(store.sweep() == 1);
    CHECK(store.next_expiry() == 1'002'000);
    spindle::sleep(5s);
    CHECK(store.sweep(0) == 0);
    CHECK(store.sweep() == 1);
    CHECK_FALSE(store.next_expiry());
    CHECK(store.size() == 1);
  });
}

}  // TEST_SUITE
