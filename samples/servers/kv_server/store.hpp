#pragma once
// The keyspace of kv_server: string keys to string values, each with an optional expiry time.
//
// Expiry times are Redis's: Unix time in milliseconds as a signed 64-bit count, so EXPIREAT and
// EXPIRETIME deal in real Unix times and a TTL of 300 years (or 300 million) is exact. The store's
// "now" is spindle's clock anchored once to the wall clock: the first time the store reads the
// clock it pairs spindle::now() with the Unix time (system_clock, or the value given to the
// constructor), and from then on now_ms() = that Unix time + the spindle time elapsed since. So
// relative TTLs (EX, PX, EXPIRE, TTL) run on spindle's clock — the virtual clock drives them in
// tests — and absolute ones (EXAT, PXAT, EXPIREAT, EXPIRETIME) are Unix times; a step of the wall
// clock after the anchor is not followed (Redis would follow it).
//
// As in Redis, a key lives through its expiry millisecond and is gone once now_ms() is past it:
// lookups drop it lazily, and sweep() (run periodically by the server) drops the ones nobody reads.
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scheduler/clock.hpp"

namespace kv {

class Store {
 public:
  using UnixMs = long long;  // Unix time in milliseconds (Redis's mstime_t)

  // `unix_now_ms`: the Unix time to pair with spindle's clock when the store first reads it
  // (tests); by default the wall clock's at that moment.
  explicit Store(std::optional<UnixMs> unix_now_ms = std::nullopt) : unix_anchor_(unix_now_ms) {}

  // The current Unix time in ms, on spindle's clock (see above). Needs a running loop.
  UnixMs now_ms();

  // The live value of `key`, or nullptr. Valid until the next mutation of the store.
  std::string* find(std::string_view key);

  // Sets the value. `expires_at`: the new expiry, or none (the key becomes persistent); with
  // `keep_ttl` an existing key keeps its expiry and `expires_at` is ignored.
  void set(std::string_view key, std::string_view value, std::optional<UnixMs> expires_at = {},
           bool keep_ttl = false);

  bool erase(std::string_view key);  // true if a live key was removed
  bool contains(std::string_view key) { return find(key) != nullptr; }

  // The expiry of a live key: nullopt if the key is missing, an empty inner optional if persistent.
  std::optional<std::optional<UnixMs>> expiry(std::string_view key);
  // Sets or clears the expiry of a live key; false if the key is missing.
  bool set_expiry(std::string_view key, std::optional<UnixMs> expires_at);

  // The live keys, in no particular order.
  std::vector<std::string_view> keys();
  std::size_t size();  // live keys
  void clear();

  // Removes up to `limit` keys whose expiry time has passed; returns how many.
  std::size_t sweep(std::size_t limit = static_cast<std::size_t>(-1));
  // The earliest expiry time of any key (expired or not), if some key has one.
  std::optional<UnixMs> next_expiry() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    std::string value;
    std::optional<UnixMs> expires_at;
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;
  struct Anchor {
    spindle::TimePoint at;
    UnixMs unix_ms;
  };

  // The entry of a live key (an expired one is removed on the way), or end().
  Map::iterator find_live(std::string_view key);
  void erase_entry(Map::iterator it);
  void set_expiry(Map::iterator it, std::optional<UnixMs> expires_at);

  Map map_;
  // (expiry, key) for every key with an expiry; the key views point at map_'s node keys, which
  // stay put under rehashing.
  std::set<std::pair<UnixMs, std::string_view>> expiries_;
  std::optional<UnixMs> unix_anchor_;
  std::optional<Anchor> anchor_;
};

}  // namespace kv
