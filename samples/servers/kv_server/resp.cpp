#include "resp.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

namespace kv {

namespace {

// C's isspace in the "C" locale.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// What ends an unquoted inline token (sdssplitargs); other whitespace only separates tokens.
bool ends_token(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

std::size_t find_byte(std::string_view s, std::size_t from, char c) {
  if (from >= s.size()) return std::string_view::npos;
  const void* hit = std::memchr(s.data() + from, c, s.size() - from);
  return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - s.data())
             : std::string_view::npos;
}

}  // namespace

bool parse_int64(std::string_view s, long long& out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    out = 0;
    return true;
  }
  std::size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  unsigned long long v = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    auto digit = static_cast<unsigned long long>(c - '0');
    if (v > (std::numeric_limits<unsigned long long>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  constexpr auto kMax = static_cast<unsigned long long>(std::numeric_limits<long long>::max());
  if (negative) {
    if (v > kMax + 1) return false;
    out = v == kMax + 1 ? std::numeric_limits<long long>::min() : -static_cast<long long>(v);
  } else {
    if (v > kMax) return false;
    out = static_cast<long long>(v);
  }
  return true;
}

void RequestParser::reset_command() {
  kind_ = Kind::unknown;
  pos_ = 0;
  remaining_ = -1;
  bulk_len_ = -1;
  spans_.clear();
}

ParseResult RequestParser::fail(std::string message) {
  // Redis's addReplyErrorFormat: no CR/LF inside an error line.
  std::replace(message.begin(), message.end(), '\r', ' ');
  std::replace(message.begin(), message.end(), '\n', ' ');
  error_ = "ERR Protocol error: ";
  error_ += message;
  reset_command();
  return {ParseStatus::error, 0};
}

ParseResult RequestParser::parse(std::string_view input) {
  std::size_t base = 0;  // start of the current command within `input`
  for (;;) {
    std::string_view cmd = input.substr(base);
    if (kind_ == Kind::unknown) {
      if (cmd.empty()) return {ParseStatus::incomplete, base};
      kind_ = cmd[0] == '*' ? Kind::multibulk : Kind::inline_;
    }

    if (kind_ == Kind::inline_) {
      std::size_t nl = find_byte(cmd, pos_, '\n');
      if (nl == std::string_view::npos) {
        if (cmd.size() > kMaxInlineSize) return fail("too big inline request");
        pos_ = cmd.size();
        return {ParseStatus::incomplete, base};
      }
      std::size_t line_len = nl;
      if (line_len > 0 && cmd[line_len - 1] == '\r') --line_len;
      if (!split_inline(cmd.substr(0, line_len))) return fail("unbalanced quotes in request");
      reset_command();
      base += nl + 1;
      if (args_.empty()) continue;  // an empty line: nothing to run
      return {ParseStatus::command, base};
    }

    // Multibulk: "*<count>\r\n" then <count> times "$<len>\r\n<bytes>\r\n". As Redis does, the two
    // bytes after a line's '\r' and after a bulk's bytes are skipped, not checked.
    if (remaining_ < 0) {
      std::size_t cr = find_byte(cmd, 1, '\r');
      if (cr == std::string_view::npos) {
        if (cmd.size() > kMaxInlineSize) return fail("too big mbulk count string");
        return {ParseStatus::incomplete, base};
      }
      if (cr + 2 > cmd.size()) return {ParseStatus::incomplete, base};
      long long count = 0;
      if (!parse_int64(cmd.substr(1, cr - 1), count) || count > kMaxArrayLength) {
        return fail("invalid multibulk length");
      }
      if (count <= 0) {  // "*0" and "*-1": an empty command, skipped
        reset_command();
        base += cr + 2;
        continue;
      }
      pos_ = cr + 2;
      remaining_ = count;
      spans_.reserve(static_cast<std::size_t>(std::min<long long>(count, 1024)));
    }
    while (remaining_ > 0) {
      if (bulk_len_ < 0) {
        std::size_t cr = find_byte(cmd, pos_, '\r');
        if (cr == std::string_view::npos) {
          if (cmd.size() - pos_ > kMaxInlineSize) return fail("too big bulk count string");
          return {ParseStatus::incomplete, base};
        }
        if (cr + 2 > cmd.size()) return {ParseStatus::incomplete, base};
        if (cmd[pos_] != '$') {
          std::string message = "expected '$', got '";
          message += cmd[pos_];
          message += '\'';
          return fail(std::move(message));
        }
        long long len = 0;
        if (!parse_int64(cmd.substr(pos_ + 1, cr - pos_ - 1), len) || len < 0 ||
            len > kMaxBulkLength) {
          return fail("invalid bulk length");
        }
        pos_ = cr + 2;
        bulk_len_ = len;
      }
      auto len = static_cast<std::size_t>(bulk_len_);
      if (cmd.size() - pos_ < len + 2) return {ParseStatus::incomplete, base};
      spans_.emplace_back(pos_, len);
      pos_ += len + 2;
      bulk_len_ = -1;
      --remaining_;
    }
    args_.clear();
    for (auto [offset, len] : spans_) args_.push_back(cmd.substr(offset, len));
    base += pos_;
    reset_command();
    return {ParseStatus::command, base};
  }
}

bool RequestParser::split_inline(std::string_view line) {
  args_.clear();
  // sdssplitargs reads a C string: the line ends at its first NUL.
  line = line.substr(0, std::min(line.size(), line.find('\0')));

  if (line.find_first_of("\"'") == std::string_view::npos) {
    // No quotes: the arguments are views of the line itself.
    std::size_t p = 0;
    for (;;) {
      while (p < line.size() && is_space(line[p])) ++p;
      if (p >= line.size()) return true;
      std::size_t start = p;
      while (p < line.size() && !ends_token(line[p])) ++p;
      args_.push_back(line.substr(start, p - start));
    }
  }

  // With quotes: Redis's sdssplitargs, unescaped into scratch_ (never longer than the line, so
  // reserving it up front keeps the views valid).
  scratch_.clear();
  scratch_.reserve(line.size());
  std::vector<std::pair<std::size_t, std::size_t>> tokens;
  auto at = [&](std::size_t i) { return i < line.size() ? line[i] : '\0'; };
  std::size_t p = 0;
  for (;;) {
    while (at(p) && is_space(at(p))) ++p;
    if (!at(p)) break;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    std::size_t start = scratch_.size();
    while (!done) {
      char c = at(p);
      if (in_double) {
        if (c == '\\' && at(p + 1) == 'x' && is_hex(at(p + 2)) && is_hex(at(p + 3))) {
          scratch_ += static_cast<char>(hex_value(at(p + 2)) * 16 + hex_value(at(p + 3)));
          p += 3;
        } else if (c == '\\' && at(p + 1)) {
          ++p;
          switch (at(p)) {
            case 'n': scratch_ += '\n'; break;
            case 'r': scratch_ += '\r'; break;
            case 't': scratch_ += '\t'; break;
            case 'b': scratch_ += '\b'; break;
            case 'a': scratch_ += '\a'; break;
            default: scratch_ += at(p); break;
          }
        } else if (c == '"') {
          if (at(p + 1) && !is_space(at(p + 1))) return false;
          done = true;
        } else if (!c) {
          return false;
        } else {
          scratch_ += c;
        }
      } else if (in_single) {
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          scratch_ += '\'';
        } else if (c == '\'') {
          if (at(p + 1) && !is_space(at(p + 1))) return false;
          done = true;
        } else if (!c) {
          return false;
        } else {
          scratch_ += c;
        }
      } else if (ends_token(c)) {
        done = true;
      } else if (c == '"') {
        in_double = true;
      } else if (c == '\'') {
        in_single = true;
      } else {
        scratch_ += c;
      }
      if (at(p)) ++p;
    }
    tokens.emplace_back(start, scratch_.size() - start);
  }
  std::string_view all = scratch_;
  for (auto [offset, len] : tokens) args_.push_back(all.substr(offset, len));
  return true;
}

namespace resp {

namespace {
void append_number(std::string& out, long long v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}
}  // namespace

void simple(std::string& out, std::string_view s) {
  out += '+';
  out += s;
  out += "\r\n";
}

void error(std::string& out, std::string_view message) {
  out += '-';
  std::size_t start = out.size();
  out += message;
  for (std::size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
  out += "\r\n";
}

void integer(std::string& out, long long v) {
  out += ':';
  append_number(out, v);
  out += "\r\n";
}

void bulk(std::string& out, std::string_view s) {
  out += '$';
  append_number(out, static_cast<long long>(s.size()));
  out += "\r\n";
  out += s;
  out += "\r\n";
}

void null_bulk(std::string& out) { out += "$-1\r\n"; }

void array_header(std::string& out, std::size_t n) {
  out += '*';
  append_number(out, static_cast<long long>(n));
  out += "\r\n";
}

}  // namespace resp

}  // namespace kv
