// The RESP2 request parser (split at every byte, pipelining, inline commands, every protocol
// error with Redis's text) and the reply encoders.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kv_support.hpp"
#include "resp.hpp"

using kv::ParseStatus;
using kv::RequestParser;
using kv_test::cmd;

namespace {

using Command = std::vector<std::string>;

struct Parsed {
  std::vector<Command> commands;
  std::optional<std::string> error;
  std::size_t left_over = 0;  // bytes received but not consumed at the end
};

// Feeds `stream` to one parser in pieces ending at `cuts` (then the rest), the way the connection
// loop does: pending bytes stay in front, consumed bytes are dropped.
Parsed parse_in_pieces(std::string_view stream, const std::vector<std::size_t>& cuts = {}) {
  Parsed result;
  RequestParser parser;
  std::string pending;
  std::size_t fed = 0;
  auto feed_to = [&](std::size_t end) {
    pending.append(stream.substr(fed, end - fed));
    fed = end;
    for (;;) {
      kv::ParseResult r = parser.parse(pending);
      if (r.status == ParseStatus::error) {
        result.error = parser.error();
        return false;
      }
      if (r.status == ParseStatus::command) {
        result.commands.emplace_back(parser.args().begin(), parser.args().end());
      }
      pending.erase(0, r.consumed);
      if (r.status == ParseStatus::incomplete) return true;
    }
  };
  for (std::size_t cut : cuts) {
    if (!feed_to(cut)) return result;
  }
  if (feed_to(stream.size())) result.left_over = pending.size();
  return result;
}

std::string parse_error(std::string_view stream) {
  Parsed p = parse_in_pieces(stream);
  REQUIRE(p.error.has_value());
  return *p.error;
}

}  // namespace

TEST_SUITE("kv.resp") {

TEST_CASE("one array of bulk strings is one command; args are views of the input") {
  RequestParser parser;
  std::string in = cmd("SET", "key", "value");
  kv::ParseResult r = parser.parse(in);
  CHECK(r.status == ParseStatus::command);
  CHECK(r.consumed == in.size());
  REQUIRE(parser.args().size() == 3);
  CHECK(parser.args()[0] == "SET");
  CHECK(parser.args()[1] == "key");
  CHECK(parser.args()[2] == "value");
  CHECK(parser.args()[2].data() == in.data() + in.find("value"));
}

TEST_CASE("pipelined commands come out one by one, each consuming its own bytes") {
  std::string a = cmd("PING");
  std::string b = cmd("SET", "k", "v");
  std::string c = cmd("GET", "k");
  std::string in = a + b + c + "*2\r\n$3\r\nGE";  // and the start of a fourth
  RequestParser parser;
  std::string_view rest = in;
  kv::ParseResult r = parser.parse(rest);
  CHECK(r.status == ParseStatus::command);
  CHECK(r.consumed == a.size());
  CHECK(parser.args().size() == 1);
  rest.remove_prefix(r.consumed);
  r = parser.parse(rest);
  CHECK(r.status == ParseStatus::command);
  CHECK(r.consumed == b.size());
  rest.remove_prefix(r.consumed);
  r = parser.parse(rest);
  CHECK(r.status == ParseStatus::command);
  CHECK(r.consumed == c.size());
  CHECK(parser.args()[1] == "k");
  rest.remove_prefix(r.consumed);
  r = parser.parse(rest);
  CHECK(r.status == ParseStatus::incomplete);
  CHECK(r.consumed == 0);
}

TEST_CASE("a pipelined stream split at every byte boundary parses the same") {
  std::string binary("a\r\nb\0c$*", 8);
  std::string stream = cmd("SET", "k", binary) + cmd("GET", "k") + "PING\r\n" + cmd("ECHO", "") +
                       "*0\r\n" + "  set  x   'y z' \r\n" + cmd("MSET", "a", "1", "b", "2") +
                       "\n" + cmd("DEL", std::string(300, 'q'));
  std::vector<Command> expected = {
      {"SET", "k", binary}, {"GET", "k"}, {"PING"}, {"ECHO", ""}, {"set", "x", "y z"},
      {"MSET", "a", "1", "b", "2"}, {"DEL", std::string(300, 'q')}};

  Parsed whole = parse_in_pieces(stream);
  CHECK_FALSE(whole.error);
  CHECK(whole.commands == expected);
  CHECK(whole.left_over == 0);

  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    CAPTURE(cut);
    Parsed p = parse_in_pieces(stream, {cut});
    CHECK_FALSE(p.error);
    CHECK(p.commands == expected);
    CHECK(p.left_over == 0);
  }

  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
  Parsed bytewise = parse_in_pieces(stream, every_byte);
  CHECK_FALSE(bytewise.error);
  CHECK(bytewise.commands == expected);
}

TEST_CASE("a command that is not complete yet leaves its bytes unconsumed") {
  std::string full = cmd("SET", "k", "v");
  for (std::size_t n = 0; n < full.size(); ++n) {
    CAPTURE(n);
    Parsed p = parse_in_pieces(full.substr(0, n));
    CHECK(p.commands.empty());
    CHECK_FALSE(p.error);
    CHECK(p.left_over == n);
  }
}

TEST_CASE("inline commands: as nc users type them, with Redis's quoting") {
  CHECK(parse_in_pieces("PING\r\n").commands == std::vector<Command>{{"PING"}});
  CHECK(parse_in_pieces("PING\n").commands == std::vector<Command>{{"PING"}});
  CHECK(parse_in_pieces(" \t set  k   v \r\n").commands == std::vector<Command>{{"set", "k", "v"}});
  CHECK(parse_in_pieces("ECHO \"a\\x41\\n\\\"\\q\" 'b c\\'d'\r\n").commands ==
        std::vector<Command>{{"ECHO", "aA\n\"q", "b c'd"}});
  CHECK(parse_in_pieces("SET k \"\"\r\n").commands == std::vector<Command>{{"SET", "k", ""}});
  // A quote inside a word starts a quoted part, as in redis-cli.
  CHECK(parse_in_pieces("ECHO a\"b c\"\r\n").commands == std::vector<Command>{{"ECHO", "ab c"}});
  // A C string: a NUL ends the line's arguments.
  CHECK(parse_in_pieces(std::string("ECHO a\0b\r\n", 10)).commands ==
        std::vector<Command>{{"ECHO", "a"}});
}

TEST_CASE("empty commands are skipped: blank lines, *0 and *-1") {
  Parsed p = parse_in_pieces("\r\n\n   \r\n*0\r\n*-1\r\nPING\r\n");
  CHECK(p.commands == std::vector<Command>{{"PING"}});
  CHECK(p.left_over == 0);

  RequestParser parser;
  kv::ParseResult r = parser.parse("\r\n*0\r\n*1\r\n$4\r\nPI");
  CHECK(r.status == ParseStatus::incomplete);
  CHECK(r.consumed == 6);  // the skipped empty commands are dropped even though nothing ran
}

TEST_CASE("as in Redis, the two bytes after a bulk string are skipped unchecked") {
  CHECK(parse_in_pieces("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n").commands ==
        std::vector<Command>{{"PING"}, {"PING"}});
}

TEST_CASE("protocol errors carry Redis's texts") {
  CHECK(parse_error("*x\r\n") == "ERR Protocol error: invalid multibulk length");
  CHECK(parse_error("*01\r\n") == "ERR Protocol error: invalid multibulk length");
  CHECK(parse_error("*+1\r\n") == "ERR Protocol error: invalid multibulk length");
  CHECK(parse_error("*\r\n") == "ERR Protocol error: invalid multibulk length");
  CHECK(parse_error("*1048577\r\n") == "ERR Protocol error: invalid multibulk length");
  CHECK(parse_error("*99999999999999999999999\r\n") ==
        "ERR Protocol error: invalid multibulk length");
  CHECK(parse_error("*1\r\nx\r\n") == "ERR Protocol error: expected '$', got 'x'");
  CHECK(parse_error("*1\r\n*\r\n") == "ERR Protocol error: expected '$', got '*'");
  CHECK(parse_error("*1\r\n\r\r\n") == "ERR Protocol error: expected '$', got ' '");
  CHECK(parse_error("*1\r\n\n\r\n") == "ERR Protocol error: expected '$', got ' '");
  CHECK(parse_error("*1\r\n$-1\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(parse_error("*1\r\n$abc\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(parse_error("*1\r\n$04\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(parse_error("*1\r\n$\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(parse_error("*1\r\n$536870913\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(parse_error("*2\r\n$4\r\nECHO\r\n$x\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(parse_error("ECHO \"a\r\n") == "ERR Protocol error: unbalanced quotes in request");
  CHECK(parse_error("ECHO 'a\r\n") == "ERR Protocol error: unbalanced quotes in request");
  CHECK(parse_error("ECHO \"a\"b\r\n") == "ERR Protocol error: unbalanced quotes in request");
  CHECK(parse_error("ECHO 'a'b\r\n") == "ERR Protocol error: unbalanced quotes in request");
  CHECK(parse_error(std::string(kv::kMaxInlineSize + 1, 'a')) ==
        "ERR Protocol error: too big inline request");
  CHECK(parse_error("*" + std::string(kv::kMaxInlineSize + 1, '1')) ==
        "ERR Protocol error: too big mbulk count string");
  CHECK(parse_error("*1\r\n$" + std::string(kv::kMaxInlineSize + 1, '1')) ==
        "ERR Protocol error: too big bulk count string");
  // The error comes after what came before it ran.
  Parsed p = parse_in_pieces("PING\r\n*1\r\n$-5\r\nPING\r\n");
  CHECK(p.commands == std::vector<Command>{{"PING"}});
  CHECK(p.error == "ERR Protocol error: invalid bulk length");
}

TEST_CASE("limits are waited for, not allocated: the largest array and bulk just wait") {
  Parsed a = parse_in_pieces("*1048576\r\n$3\r\nGET\r\n");
  CHECK_FALSE(a.error);
  CHECK(a.commands.empty());
  Parsed b = parse_in_pieces("*1\r\n$536870912\r\nabc");
  CHECK_FALSE(b.error);
  CHECK(b.commands.empty());
  Parsed c = parse_in_pieces(std::string(kv::kMaxInlineSize, 'a'));
  CHECK_FALSE(c.error);
}

TEST_CASE("parse_int64 is Redis's string2ll") {
  long long v = 7;
  CHECK(kv::parse_int64("0", v));
  CHECK(v == 0);
  CHECK(kv::parse_int64("-12", v));
  CHECK(v == -12);
  CHECK(kv::parse_int64("9223372036854775807", v));
  CHECK(v == 9223372036854775807LL);
  CHECK(kv::parse_int64("-9223372036854775808", v));
  CHECK(v == -9223372036854775807LL - 1);
  for (std::string_view bad : {"", "-", "+1", "01", "-0", " 1", "1 ", "1a", "9223372036854775808",
                               "-9223372036854775809", "18446744073709551616", "1.5"}) {
    CAPTURE(bad);
    CHECK_FALSE(kv::parse_int64(bad, v));
  }
}

TEST_CASE("reply encoders") {
  std::string out;
  kv::resp::simple(out, "OK");
  CHECK(out == "+OK\r\n");
  out.clear();
  kv::resp::error(out, "ERR bad\r\nthing");
  CHECK(out == "-ERR bad  thing\r\n");
  out.clear();
  kv::resp::integer(out, -9223372036854775807LL - 1);
  CHECK(out == ":-9223372036854775808\r\n");
  out.clear();
  kv::resp::bulk(out, std::string_view("a\0\r\n", 4));
  CHECK(out == std::string("$4\r\na\0\r\n\r\n", 10));
  out.clear();
  kv::resp::bulk(out, "");
  CHECK(out == "$0\r\n\r\n");
  out.clear();
  kv::resp::null_bulk(out);
  CHECK(out == "$-1\r\n");
  out.clear();
  kv::resp::array_header(out, 0);
  CHECK(out == "*0\r\n");
  out.clear();
  kv::resp::array_header(out, 12);
  CHECK(out == "*12\r\n");
}

}  // TEST_SUITE
