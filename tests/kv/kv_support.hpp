#pragma once
// Helpers for kv_tests:
//   cmd("SET", "k", "v")   — one request as redis-cli sends it (an array of bulk strings);
//   Session                — a connection without a socket: bytes in → parser → execute → reply bytes;
//   resp_values(bytes)     — checks that bytes are a sequence of complete, well-formed RESP2 values;
//   in_virtual_loop(body)  — runs body as the main fiber under the virtual clock.
#include <doctest/doctest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "commands.hpp"
#include "resp.hpp"
#include "spindle.hpp"
#include "store.hpp"

namespace kv_test {

inline std::string cmd(std::initializer_list<std::string_view> args) {
  std::string out;
  kv::resp::array_header(out, args.size());
  for (std::string_view a : args) kv::resp::bulk(out, a);
  return out;
}

template <class... S>
std::string cmd(S&&... args) {
  return cmd({std::string_view(args)...});
}

template <class F>
auto in_virtual_loop(F&& body) {
  return spindle::run(spindle::RunOptions{.clock = spindle::ClockKind::virtual_time},
                      std::forward<F>(body));
}

// What the connection loop does, minus the socket: bytes are fed in any pieces; every complete
// command runs; after a protocol error or QUIT the session is closed and ignores further bytes.
class Session {
 public:
  explicit Session(kv::Store& store) : store_(store) {}

  std::string feed(std::string_view bytes) {
    std::string out;
    if (closed_) return out;
    pending_ += bytes;
    for (;;) {
      kv::ParseResult r = parser_.parse(pending_);
      if (r.status == kv::ParseStatus::error) {
        kv::resp::error(out, parser_.error());
        closed_ = true;
        protocol_error_ = true;
        break;
      }
      if (r.status == kv::ParseStatus::command) {
        REQUIRE(!parser_.args().empty());
        ++commands_;
        if (kv::execute(store_, parser_.args(), out) == kv::After::close) closed_ = true;
      }
      pending_.erase(0, r.consumed);
      if (r.status == kv::ParseStatus::incomplete || closed_) break;
    }
    return out;
  }

  bool closed() const { return closed_; }
  bool ended_by_protocol_error() const { return protocol_error_; }
  std::size_t commands() const { return commands_; }
  std::size_t pending() const { return pending_.size(); }

 private:
  kv::Store& store_;
  kv::RequestParser parser_;
  std::string pending_;
  bool closed_ = false;
  bool protocol_error_ = false;
  std::size_t commands_ = 0;
};

// One command on a fresh session over `store`; its reply bytes.
inline std::string run1(kv::Store& store, std::string_view request) {
  Session s(store);
  return s.feed(request);
}

namespace detail {
// Parses one RESP2 value at `pos`; false if malformed or incomplete.
inline bool resp_value(std::string_view s, std::size_t& pos, int depth) {
  if (depth > 64 || pos >= s.size()) return false;
  char type = s[pos];
  std::size_t eol = s.find("\r\n", pos);
  if (eol == std::string_view::npos) return false;
  std::string_view line = s.substr(pos + 1, eol - pos - 1);
  if (line.find_first_of("\r\n") != std::string_view::npos) return false;
  pos = eol + 2;
  long long n = 0;
  switch (type) {
    case '+':
    case '-':
      return true;
    case ':':
      return kv::parse_int64(line, n);
    case '$':
      if (!kv::parse_int64(line, n) || n < -1) return false;
      if (n == -1) return true;
      if (s.size() - pos < static_cast<std::size_t>(n) + 2) return false;
      if (s.substr(pos + static_cast<std::size_t>(n), 2) != "\r\n") return false;
      pos += static_cast<std::size_t>(n) + 2;
      return true;
    case '*':
      if (!kv::parse_int64(line, n) || n < -1) return false;
      for (long long i = 0; i < n; ++i) {
        if (!resp_value(s, pos, depth + 1)) return false;
      }
      return true;
    default:
      return false;
  }
}
}  // namespace detail

// The number of RESP2 values `s` consists of exactly, or nullopt if it is not such a sequence.
inline std::optional<std::size_t> resp_values(std::string_view s) {
  std::size_t pos = 0;
  std::size_t n = 0;
  while (pos < s.size()) {
    if (!detail::resp_value(s, pos, 0)) return std::nullopt;
    ++n;
  }
  return n;
}

}  // namespace kv_test
