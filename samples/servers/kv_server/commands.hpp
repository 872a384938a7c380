#pragma once
// kv_server's commands: a Redis 7 subset with Redis's replies and error texts.
//   PING [msg], ECHO msg, GET k, SET k v [NX|XX] [GET] [EX s|PX ms|EXAT unix-s|PXAT
//   unix-ms|KEEPTTL], DEL k..., EXISTS k..., INCR k, MGET k..., MSET k v [k v ...], EXPIRE k s,
//   PEXPIRE k ms, EXPIREAT k unix-s, PEXPIREAT k unix-ms (each [NX|XX|GT|LT]), TTL k, PTTL k,
//   EXPIRETIME k, PEXPIRETIME k, PERSIST k, KEYS pattern, DBSIZE, FLUSHALL [ASYNC|SYNC], QUIT, and
//   what clients send on connect: COMMAND [DOCS ...|COUNT] (redis-cli), CONFIG GET param...
//   (redis-benchmark asks for "save" and "appendonly").
// Expiry is Redis 7's to the millisecond: absolute times are Unix times, relative ones run on
// spindle's clock (see store.hpp), every overflow gives Redis's "invalid expire time" error.
#include <span>
#include <string>
#include <string_view>

#include "store.hpp"

namespace kv {

enum class After { keep_open, close };

// Runs one command (`args` not empty; args[0] is the name, any case) against `store` and appends
// its reply to `out`. Returns After::close after QUIT.
After execute(Store& store, std::span<const std::string_view> args, std::string& out);

// Redis's glob (stringmatchlen): * ? [abc] [^a] [a-z] and \x, case-sensitive.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace kv
