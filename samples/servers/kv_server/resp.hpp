#pragma once
// RESP2 for kv_server: an incremental request parser and the reply encoders.
//
// RequestParser reads what redis-cli and redis-benchmark send (arrays of bulk strings) and what nc
// users type (inline commands, "PING\r\n", with Redis's quoting rules). It keeps its progress
// between calls, so a command that arrives in pieces is scanned once; the arguments of a complete
// command are string_views into the caller's buffer (inline commands with escapes: into the
// parser's own scratch). Errors carry Redis's own texts; after one the connection must be closed.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kv {

// Limits that keep random bytes from making the parser (or the connection's buffer) grow without
// bound: Redis's PROTO_INLINE_MAX_SIZE, its old multibulk count limit and proto-max-bulk-len.
inline constexpr std::size_t kMaxInlineSize = 64 * 1024;
inline constexpr long long kMaxArrayLength = 1024 * 1024;
inline constexpr long long kMaxBulkLength = 512LL * 1024 * 1024;

enum class ParseStatus {
  incomplete,  // need more bytes
  command,     // args() holds one complete command
  error,       // protocol error: error() holds the reply text; close the connection after it
};

struct ParseResult {
  ParseStatus status;
  // Bytes at the front of the input the caller must drop before the next call, whatever the status
  // (a complete command, or empty commands skipped before an incomplete one).
  std::size_t consumed;
};

class RequestParser {
 public:
  // `input` holds the unconsumed bytes: after `incomplete`, the same bytes (possibly moved to
  // another address) followed by the new ones.
  ParseResult parse(std::string_view input);

  // The arguments of the command parse() just returned; valid until the input buffer changes or
  // parse() is called again. Never empty.
  std::span<const std::string_view> args() const { return args_; }

  // After ParseStatus::error: the error text without the leading '-', e.g.
  // "ERR Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }

 private:
  enum class Kind { unknown, multibulk, inline_ };

  ParseResult fail(std::string message);
  void reset_command();
  // The inline line [0, line_len) of `cmd` into args_ (Redis's sdssplitargs); false on unbalanced quotes.
  bool split_inline(std::string_view line);

  Kind kind_ = Kind::unknown;
  std::size_t pos_ = 0;        // bytes of the current command already scanned
  long long remaining_ = -1;   // multibulk: arguments still to read (-1: count line not read yet)
  long long bulk_len_ = -1;    // multibulk: length of the argument being read (-1: header not read)
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // multibulk: offset, length per argument
  std::vector<std::string_view> args_;
  std::string scratch_;        // inline commands: unescaped arguments
  std::string error_;
};

// Redis's string2ll: an optional '-', no '+', no leading zeros, no spaces, in range. Used for every
// integer Redis accepts (lengths, INCR, EX/PX, EXPIRE).
bool parse_int64(std::string_view s, long long& out);

// Reply encoders: each appends one RESP2 value to `out`.
namespace resp {
void simple(std::string& out, std::string_view s);
void error(std::string& out, std::string_view message);  // message without '-'; CR/LF become spaces
void integer(std::string& out, long long v);
void bulk(std::string& out, std::string_view s);
void null_bulk(std::string& out);
void array_header(std::string& out, std::size_t n);
}  // namespace resp

}  // namespace kv
