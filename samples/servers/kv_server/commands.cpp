#include "commands.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cstring>
#include <optional>

#include "resp.hpp"

namespace kv {

namespace {

using Args = std::span<const std::string_view>;

struct Context {
  Store& store;
  std::string& out;
  After after = After::keep_open;
};

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;  // b is lower case
  }
  return true;
}

// The part of `s` a C "%s" would print: up to the first NUL.
std::string_view c_string(std::string_view s) { return s.substr(0, s.find('\0')); }

void reply_not_integer(std::string& out) {
  resp::error(out, "ERR value is not an integer or out of range");
}

void reply_syntax_error(std::string& out) { resp::error(out, "ERR syntax error"); }

void reply_invalid_expire(std::string& out, std::string_view command) {
  std::string message = "ERR invalid expire time in '";
  message += command;
  message += "' command";
  resp::error(out, message);
}

void reply_arity(std::string& out, std::string_view command) {
  std::string message = "ERR wrong number of arguments for '";
  message += command;
  message += "' command";
  resp::error(out, message);
}

void reply_unknown_subcommand(std::string& out, std::string_view sub, std::string_view container) {
  std::string message = "ERR unknown subcommand '";
  std::string_view name = c_string(sub);
  message += name.substr(0, 128);
  message += "'. Try ";
  message += container;
  message += " HELP.";
  resp::error(out, message);
}

// The option words Redis compares with strcasecmp or byte by byte up to a NUL (SET's and EXPIRE's
// options, FLUSHALL's mode): "nx\0junk" is NX there.
bool option_is(std::string_view arg, std::string_view lower_name) {
  return equals_nocase(c_string(arg), lower_name);
}

// Milliseconds in seconds, rounded half up, as Redis's (ms + 500) / 1000 without its overflow.
long long rounded_seconds(long long ms) { return ms / 1000 + (ms % 1000 >= 500 ? 1 : 0); }

void cmd_ping(Context& cx, Args a) {
  if (a.size() > 2) return reply_arity(cx.out, "ping");
  if (a.size() == 1) {
    resp::simple(cx.out, "PONG");
  } else {
    resp::bulk(cx.out, a[1]);
  }
}

void cmd_echo(Context& cx, Args a) { resp::bulk(cx.out, a[1]); }

void cmd_quit(Context& cx, Args) {
  resp::simple(cx.out, "OK");
  cx.after = After::close;
}

void cmd_get(Context& cx, Args a) {
  if (const std::string* v = cx.store.find(a[1])) {
    resp::bulk(cx.out, *v);
  } else {
    resp::null_bulk(cx.out);
  }
}

// SET's expiry options, each with its unit and whether it counts from now.
struct ExpireOption {
  std::string_view name;
  bool seconds;
  bool relative;
};
constexpr std::array<ExpireOption, 4> kSetExpireOptions{{
    {"ex", true, true},
    {"px", false, true},
    {"exat", true, false},
    {"pxat", false, false},
}};

void cmd_set(Context& cx, Args a) {
  bool nx = false, xx = false, get = false, keep_ttl = false;
  const ExpireOption* expire = nullptr;
  std::string_view expire_arg;
  for (std::size_t j = 3; j < a.size(); ++j) {
    std::string_view opt = a[j];
    bool has_next = j + 1 < a.size();
    auto named = std::find_if(kSetExpireOptions.begin(), kSetExpireOptions.end(),
                              [&](const ExpireOption& o) { return option_is(opt, o.name); });
    if (option_is(opt, "nx") && !xx) {
      nx = true;
    } else if (option_is(opt, "xx") && !nx) {
      xx = true;
    } else if (option_is(opt, "get")) {
      get = true;
    } else if (option_is(opt, "keepttl") && !expire) {
      keep_ttl = true;
    } else if (named != kSetExpireOptions.end() && !keep_ttl && (!expire || expire == &*named) &&
               has_next) {
      // The same option twice is allowed (the last value counts), two different ones are not.
      expire = &*named;
      expire_arg = a[++j];
    } else {
      reply_syntax_error(cx.out);
      return;
    }
  }

  // Redis's getExpireMillisecondsOrReply: positive, and no overflow in the unit or in now + ms.
  std::optional<Store::UnixMs> expires_at;
  if (expire) {
    long long ms = 0;
    if (!parse_int64(expire_arg, ms)) return reply_not_integer(cx.out);
    if (ms <= 0 || (expire->seconds && ms > LLONG_MAX / 1000)) {
      return reply_invalid_expire(cx.out, "set");
    }
    if (expire->seconds) ms *= 1000;
    if (expire->relative) {
      const long long now = cx.store.now_ms();
      if (ms > LLONG_MAX - now) return reply_invalid_expire(cx.out, "set");
      ms += now;
    }
    expires_at = ms;  // already past (EXAT 1): set, and gone at once, as in Redis
  }

  std::string_view key = a[1];
  std::string* old = cx.store.find(key);
  if (get) {
    if (old) {
      resp::bulk(cx.out, *old);
    } else {
      resp::null_bulk(cx.out);
    }
  }
  if ((nx && old) || (xx && !old)) {
    if (!get) resp::null_bulk(cx.out);
    return;
  }
  cx.store.set(key, a[2], expires_at, keep_ttl);
  if (!get) resp::simple(cx.out, "OK");
}

void cmd_del(Context& cx, Args a) {
  long long n = 0;
  for (std::size_t i = 1; i < a.size(); ++i) n += cx.store.erase(a[i]) ? 1 : 0;
  resp::integer(cx.out, n);
}

void cmd_exists(Context& cx, Args a) {
  long long n = 0;
  for (std::size_t i = 1; i < a.size(); ++i) n += cx.store.contains(a[i]) ? 1 : 0;
  resp::integer(cx.out, n);
}

void cmd_incr(Context& cx, Args a) {
  std::string* value = cx.store.find(a[1]);
  long long v = 0;
  if (value && !parse_int64(*value, v)) return reply_not_integer(cx.out);
  if (v == LLONG_MAX) return resp::error(cx.out, "ERR increment or decrement would overflow");
  ++v;
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string_view text(buf, static_cast<std::size_t>(end - buf));
  if (value) {
    value->assign(text);  // in place: the key keeps its expiry
  } else {
    cx.store.set(a[1], text);
  }
  resp::integer(cx.out, v);
}

void cmd_mget(Context& cx, Args a) {
  resp::array_header(cx.out, a.size() - 1);
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (const std::string* v = cx.store.find(a[i])) {
      resp::bulk(cx.out, *v);
    } else {
      resp::null_bulk(cx.out);
    }
  }
}

void cmd_mset(Context& cx, Args a) {
  if (a.size() % 2 == 0) return reply_arity(cx.out, "mset");
  for (std::size_t i = 1; i < a.size(); i += 2) cx.store.set(a[i], a[i + 1]);
  resp::simple(cx.out, "OK");
}

// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: Redis's expireGenericCommand. The time argument is in
// seconds or ms, counted from now (`relative`) or from the Unix epoch. Unlike SET, zero and
// negative times are allowed: the key is deleted.
void expire_generic(Context& cx, Args a, std::string_view command, bool seconds, bool relative) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (std::size_t j = 3; j < a.size(); ++j) {
    std::string_view opt = a[j];
    if (option_is(opt, "nx")) {
      nx = true;
    } else if (option_is(opt, "xx")) {
      xx = true;
    } else if (option_is(opt, "gt")) {
      gt = true;
    } else if (option_is(opt, "lt")) {
      lt = true;
    } else {
      std::string message = "ERR Unsupported option ";
      message += c_string(opt);
      return resp::error(cx.out, message);
    }
  }
  if (nx && (xx || gt || lt)) {
    return resp::error(cx.out,
                       "ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt)
    return resp::error(cx.out, "ERR GT and LT options at the same time are not compatible");

  long long when = 0;
  if (!parse_int64(a[2], when)) return reply_not_integer(cx.out);
  if (seconds) {
    if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
      return reply_invalid_expire(cx.out, command);
    when *= 1000;
  }
  const long long now = cx.store.now_ms();
  if (relative) {
    if (when > LLONG_MAX - now) return reply_invalid_expire(cx.out, command);
    when += now;
  }

  auto current = cx.store.expiry(a[1]);
  if (!current) return resp::integer(cx.out, 0);
  // No expiry counts as infinite: GT never beats it, LT always does.
  if (nx && *current) return resp::integer(cx.out, 0);
  if (xx && !*current) return resp::integer(cx.out, 0);
  if (gt && (!*current || when <= **current)) return resp::integer(cx.out, 0);
  if (lt && *current && when >= **current) return resp::integer(cx.out, 0);
  if (when <= now) {
    cx.store.erase(a[1]);
  } else {
    cx.store.set_expiry(a[1], when);
  }
  resp::integer(cx.out, 1);
}

void cmd_expire(Context& cx, Args a) { expire_generic(cx, a, "expire", true, true); }
void cmd_pexpire(Context& cx, Args a) { expire_generic(cx, a, "pexpire", false, true); }
void cmd_expireat(Context& cx, Args a) { expire_generic(cx, a, "expireat", true, false); }
void cmd_pexpireat(Context& cx, Args a) { expire_generic(cx, a, "pexpireat", false, false); }

// TTL, PTTL, EXPIRETIME, PEXPIRETIME: Redis's ttlGenericCommand. -2: no such key, -1: no expiry;
// else the time left (never negative) or the Unix expiry time, seconds rounded half up.
void reply_expiry(Context& cx, std::string_view key, bool in_ms, bool absolute) {
  auto expiry = cx.store.expiry(key);
  if (!expiry) return resp::integer(cx.out, -2);
  if (!*expiry) return resp::integer(cx.out, -1);
  long long ms = absolute ? **expiry : **expiry - cx.store.now_ms();
  if (ms < 0) ms = 0;
  resp::integer(cx.out, in_ms ? ms : rounded_seconds(ms));
}

void cmd_ttl(Context& cx, Args a) { reply_expiry(cx, a[1], false, false); }
void cmd_pttl(Context& cx, Args a) { reply_expiry(cx, a[1], true, false); }
void cmd_expiretime(Context& cx, Args a) { reply_expiry(cx, a[1], false, true); }
void cmd_pexpiretime(Context& cx, Args a) { reply_expiry(cx, a[1], true, true); }

void cmd_persist(Context& cx, Args a) {
  auto expiry = cx.store.expiry(a[1]);
  if (!expiry || !*expiry) return resp::integer(cx.out, 0);
  cx.store.set_expiry(a[1], std::nullopt);
  resp::integer(cx.out, 1);
}

void cmd_keys(Context& cx, Args a) {
  std::vector<std::string_view> keys = cx.store.keys();
  std::string_view pattern = a[1];
  bool all = pattern == "*";
  std::size_t n = 0;
  for (std::string_view key : keys) {
    if (all || glob_match(pattern, key)) keys[n++] = key;
  }
  resp::array_header(cx.out, n);
  for (std::size_t i = 0; i < n; ++i) resp::bulk(cx.out, keys[i]);
}

void cmd_dbsize(Context& cx, Args) {
  resp::integer(cx.out, static_cast<long long>(cx.store.size()));
}

void cmd_flushall(Context& cx, Args a) {
  if (a.size() > 2 || (a.size() == 2 && !option_is(a[1], "async") && !option_is(a[1], "sync"))) {
    return reply_syntax_error(cx.out);
  }
  cx.store.clear();
  resp::simple(cx.out, "OK");
}

// Commands are not described (redis-cli only uses COMMAND DOCS for hints).
std::size_t command_count();

void cmd_command(Context& cx, Args a) {
  if (a.size() == 1) return resp::array_header(cx.out, 0);
  if (equals_nocase(a[1], "docs")) return resp::array_header(cx.out, 0);
  if (equals_nocase(a[1], "count")) {
    if (a.size() != 2) return reply_arity(cx.out, "command|count");
    return resp::integer(cx.out, static_cast<long long>(command_count()));
  }
  reply_unknown_subcommand(cx.out, a[1], "COMMAND");
}

// The configuration redis-benchmark reads; the values say "no persistence".
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kConfig{{
    {"save", ""},
    {"appendonly", "no"},
}};

void cmd_config(Context& cx, Args a) {
  if (!equals_nocase(a[1], "get")) return reply_unknown_subcommand(cx.out, a[1], "CONFIG");
  if (a.size() < 3) return reply_arity(cx.out, "config|get");
  std::array<bool, kConfig.size()> matched{};
  std::size_t n = 0;
  for (std::size_t i = 2; i < a.size(); ++i) {
    for (std::size_t c = 0; c < kConfig.size(); ++c) {
      if (!matched[c] && glob_match(a[i], kConfig[c].first)) {
        matched[c] = true;
        ++n;
      }
    }
  }
  resp::array_header(cx.out, 2 * n);
  for (std::size_t c = 0; c < kConfig.size(); ++c) {
    if (!matched[c]) continue;
    resp::bulk(cx.out, kConfig[c].first);
    resp::bulk(cx.out, kConfig[c].second);
  }
}

struct Command {
  std::string_view name;  // lower case, as in Redis's errors
  int arity;              // Redis's convention: n exactly, -n at least n (the name counts)
  void (*run)(Context&, Args);
};

// The hot commands first: lookup is a linear scan that compares lengths before bytes.
constexpr std::array kCommands{
    Command{"get", 2, cmd_get},
    Command{"set", -3, cmd_set},
    Command{"ping", -1, cmd_ping},
    Command{"incr", 2, cmd_incr},
    Command{"mget", -2, cmd_mget},
    Command{"mset", -3, cmd_mset},
    Command{"del", -2, cmd_del},
    Command{"exists", -2, cmd_exists},
    Command{"echo", 2, cmd_echo},
    Command{"expire", -3, cmd_expire},
    Command{"pexpire", -3, cmd_pexpire},
    Command{"expireat", -3, cmd_expireat},
    Command{"pexpireat", -3, cmd_pexpireat},
    Command{"ttl", 2, cmd_ttl},
    Command{"pttl", 2, cmd_pttl},
    Command{"expiretime", 2, cmd_expiretime},
    Command{"pexpiretime", 2, cmd_pexpiretime},
    Command{"persist", 2, cmd_persist},
    Command{"keys", 2, cmd_keys},
    Command{"dbsize", 1, cmd_dbsize},
    Command{"flushall", -1, cmd_flushall},
    Command{"command", -1, cmd_command},
    Command{"config", -2, cmd_config},
    Command{"quit", -1, cmd_quit},
};

std::size_t command_count() { return kCommands.size(); }

const Command* lookup(std::string_view name) {
  for (const Command& c : kCommands) {
    if (equals_nocase(name, c.name)) return &c;
  }
  return nullptr;
}

void reply_unknown_command(std::string& out, Args a) {
  // Redis 7: "unknown command '%.128s', with args beginning with: " then "'%.*s' " per argument
  // while the list is shorter than 128 bytes, each cut to what is left of those 128.
  std::string list;
  for (std::size_t i = 1; i < a.size() && list.size() < 128; ++i) {
    std::size_t room = 128 - list.size();
    list += '\'';
    list += c_string(a[i]).substr(0, room);
    list += "' ";
  }
  std::string message = "ERR unknown command '";
  message += c_string(a[0]).substr(0, 128);
  message += "', with args beginning with: ";
  message += list;
  resp::error(out, message);
}

// Redis's stringmatchlen over NUL-terminated strings (it peeks one byte past the end).
bool match_impl(const char* pattern, int pattern_len, const char* string, int string_len,
                bool& skip_longer, int nesting) {
  if (nesting > 1000) return false;  // Redis's protection against abusive patterns
  while (pattern_len && string_len) {
    switch (pattern[0]) {
      case '*':
        while (pattern_len && pattern[1] == '*') {
          ++pattern;
          --pattern_len;
        }
        if (pattern_len == 1) return true;
        while (string_len) {
          if (match_impl(pattern + 1, pattern_len - 1, string, string_len, skip_longer,
                         nesting + 1)) {
            return true;
          }
          if (skip_longer) return false;
          ++string;
          --string_len;
        }
        // The rest of the pattern matches nowhere in the rest of the string: no longer match of
        // an earlier '*' can help either.
        skip_longer = true;
        return false;
      case '?':
        ++string;
        --string_len;
        break;
      case '[': {
        ++pattern;
        --pattern_len;
        bool negate = pattern[0] == '^';
        if (negate) {
          ++pattern;
          --pattern_len;
        }
        bool match = false;
        for (;;) {
          if (pattern[0] == '\\' && pattern_len >= 2) {
            ++pattern;
            --pattern_len;
            if (pattern[0] == string[0]) match = true;
          } else if (pattern[0] == ']') {
            break;
          } else if (pattern_len == 0) {
            --pattern;
            ++pattern_len;
            break;
          } else if (pattern_len >= 3 && pattern[1] == '-') {
            int start = pattern[0];
            int end = pattern[2];
            int c = string[0];
            if (start > end) std::swap(start, end);
            pattern += 2;
            pattern_len -= 2;
            if (c >= start && c <= end) match = true;
          } else if (pattern[0] == string[0]) {
            match = true;
          }
          ++pattern;
          --pattern_len;
        }
        if (negate) match = !match;
        if (!match) return false;
        ++string;
        --string_len;
        break;
      }
      case '\\':
        if (pattern_len >= 2) {
          ++pattern;
          --pattern_len;
        }
        [[fallthrough]];
      default:
        if (pattern[0] != string[0]) return false;
        ++string;
        --string_len;
        break;
    }
    ++pattern;
    --pattern_len;
    if (string_len == 0) {
      while (*pattern == '*') {
        ++pattern;
        --pattern_len;
      }
      break;
    }
  }
  return pattern_len == 0 && string_len == 0;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  if (pattern.size() > INT_MAX || text.size() > INT_MAX) return false;
  std::string p(pattern);  // NUL-terminated copies: the algorithm reads one byte past the end
  std::string t(text);
  bool skip_longer = false;
  return match_impl(p.c_str(), static_cast<int>(p.size()), t.c_str(), static_cast<int>(t.size()),
                    skip_longer, 0);
}

After execute(Store& store, Args args, std::string& out) {
  Context cx{store, out};
  const Command* c = lookup(args[0]);
  if (!c) {
    reply_unknown_command(out, args);
    return After::keep_open;
  }
  auto argc = static_cast<long long>(args.size());
  if ((c->arity > 0 && argc != c->arity) || argc < -c->arity) {
    reply_arity(out, c->name);
    return After::keep_open;
  }
  c->run(cx, args);
  return cx.after;
}

}  // namespace kv
