// libFuzzer target: kv_server's request path without a socket. The input is what a client sent on
// one connection. It goes through RequestParser as one read, and every command parsed runs against
// a fresh Store (at a fixed Unix time) under the virtual clock, one virtual millisecond apart (so
// TTLs set by the input expire within it), with the expiry sweep after each command. Checked on
// every input:
//   - parse() never consumes more than it was given, and a command always consumes something;
//   - each command's reply is exactly one well-formed RESP2 value; a protocol error's reply is one
//     "-ERR Protocol error: ..." line, and nothing is parsed after it (the connection ends);
//   - the store stays consistent: keys() lists size() keys, nothing expired survives a sweep;
//   - the same bytes cut into small pieces (as a slow network delivers them) parse into the same
//     commands and the same error: the parser's saved progress is never wrong.
// Any violation aborts, which libFuzzer reports as a crash with the input saved.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <spindle.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "resp.hpp"
#include "store.hpp"

namespace {

using namespace std::chrono_literals;

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "kv_request: invariant violated: %s\n", what);
  std::abort();
}

// Whether `s` is exactly one well-formed RESP2 value (nested arrays included).
bool is_one_resp_value(std::string_view s) {
  std::size_t pos = 0;
  std::size_t expected = 1;  // values still to read; an array header adds its elements
  while (expected > 0) {
    const std::size_t eol = s.find("\r\n", pos);
    if (pos >= s.size() || eol == std::string_view::npos) return false;
    const char type = s[pos];
    const std::string_view line = s.substr(pos + 1, eol - pos - 1);
    if (line.find_first_of("\r\n") != std::string_view::npos) return false;
    pos = eol + 2;
    --expected;
    long long n = 0;
    if (type == '+' || type == '-') continue;
    if (type != ':' && type != '$' && type != '*') return false;
    if (!kv::parse_int64(line, n) || (type != ':' && n < -1)) return false;
    if (type == '$' && n >= 0) {
      const auto len = static_cast<std::size_t>(n);
      if (s.size() - pos < len + 2 || s.substr(pos + len, 2) != "\r\n") return false;
      pos += len + 2;
    } else if (type == '*' && n > 0) {
      if (static_cast<std::size_t>(n) > s.size()) return false;  // cannot all be there
      expected += static_cast<std::size_t>(n);
    }
  }
  return pos == s.size();
}

// What one connection's parser made of the input: each command's arguments, then how it ended.
struct Parsed {
  std::vector<std::vector<std::string>> commands;
  std::optional<std::string> error;  // the protocol error that ended it
  bool quit = false;                 // a command ended it
};

// Feeds `input` to a fresh parser in pieces of the given lengths (cycled), as the connection
// loop does: the unconsumed bytes, then the next piece. `on_command` runs for each command while
// its arguments are valid; returning false ends the connection (QUIT).
template <class OnCommand>
Parsed parse_in_pieces(std::string_view input, const std::vector<std::size_t>& pieces,
                       OnCommand on_command) {
  Parsed parsed;
  kv::RequestParser parser;
  std::string pending;
  std::size_t fed = 0;
  for (std::size_t i = 0; fed < input.size(); ++i) {
    const std::size_t n = std::min(pieces[i % pieces.size()], input.size() - fed);
    pending.append(input.substr(fed, n));
    fed += n;
    for (;;) {
      const kv::ParseResult r = parser.parse(pending);
      check(r.consumed <= pending.size(), "parse() consumed more than it was given");
      if (r.status == kv::ParseStatus::error) {
        check(parser.error().starts_with("ERR Protocol error: "), "protocol error text");
        parsed.error = parser.error();
        return parsed;
      }
      if (r.status == kv::ParseStatus::incomplete) {
        pending.erase(0, r.consumed);
        break;
      }
      check(r.consumed > 0, "a command consumed no bytes");
      check(!parser.args().empty(), "a command without arguments");
      parsed.commands.emplace_back(parser.args().begin(), parser.args().end());
      const bool keep_open = on_command(parser.args());
      pending.erase(0, r.consumed);
      if (!keep_open) {
        parsed.quit = true;
        return parsed;
      }
    }
  }
  return parsed;
}

void check_store(kv::Store& store) {
  store.sweep();
  check(store.keys().size() == store.size(), "keys() and size() disagree");
  const auto next = store.next_expiry();
  check(!next || *next >= store.now_ms(), "an expired key survived the sweep");
}

// Piece lengths 1..16 drawn from the input itself, so a crash reproduces from the input alone.
std::vector<std::size_t> piece_lengths(std::string_view input) {
  std::vector<std::size_t> pieces;
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (std::size_t i = 0; i < 64; ++i) {
    const auto byte = i < input.size() ? static_cast<unsigned char>(input[i]) : i;
    h = (h ^ static_cast<std::uint32_t>(byte)) * 16777619u;
    pieces.push_back(1 + (h >> 7) % 16);
  }
  return pieces;
}

// The store's Unix time at the start of every input (2023-11-14T22:13:20Z), so that absolute
// expiry times (EXPIREAT, EXPIRETIME) reproduce too.
constexpr kv::Store::UnixMs kUnixStart = 1'700'000'000'000;

void run_input(std::string_view input) {
  kv::Store store(kUnixStart);
  std::string reply;
  const Parsed whole = parse_in_pieces(input, {input.size()}, [&](auto args) {
    reply.clear();
    const kv::After after = kv::execute(store, args, reply);
    check(is_one_resp_value(reply), "a command's reply is not exactly one RESP2 value");
    spindle::sleep(1ms);
    check_store(store);
    return after == kv::After::keep_open;
  });
  if (whole.error) {
    reply.clear();
    kv::resp::error(reply, *whole.error);
    check(is_one_resp_value(reply) && reply.starts_with("-ERR Protocol error: "),
          "the protocol error reply");
  }

  // Whole and cut: the same commands. Inline lines and count lines over kMaxInlineSize are
  // refused only while they are incomplete, so the comparison holds for inputs below that size.
  if (input.size() > kv::kMaxInlineSize) return;
  // After QUIT the cut parse goes on, so there only the commands up to QUIT are compared.
  const Parsed cut = parse_in_pieces(input, piece_lengths(input), [](auto) { return true; });
  check(whole.commands.size() <= cut.commands.size() &&
            std::equal(whole.commands.begin(), whole.commands.end(), cut.commands.begin()),
        "cut into pieces, the input parses into other commands");
  check(whole.quit || (whole.commands.size() == cut.commands.size() && whole.error == cut.error),
        "cut into pieces, the input ends differently");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  spindle::run(spindle::RunOptions{.clock = spindle::ClockKind::virtual_time},
               [&] { run_input(input); });
  return 0;
}
