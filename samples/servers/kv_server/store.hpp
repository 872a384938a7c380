#pragma once
// The keyspace of kv_server: string keys to string values, each with an optional expiry time.
// Time is read only through spindle::now(), so the virtual clock drives expiry in tests. A key is
// gone from the moment its expiry time is reached: lookups drop it lazily, and sweep() (run
// periodically by the server) drops the ones nobody looks at.
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
  using TimePoint = spindle::TimePoint;

  // The live value of `key`, or nullptr. Valid until the next mutation of the store.
  std::string* find(std::string_view key);

  // Sets the value. `expires_at`: the new expiry, or none (the key becomes persistent); with
  // `keep_ttl` an existing key keeps its expiry and `expires_at` is ignored.
  void set(std::string_view key, std::string_view value, std::optional<TimePoint> expires_at = {},
           bool keep_ttl = false);

  bool erase(std::string_view key);  // true if a live key was removed
  bool contains(std::string_view key) { return find(key) != nullptr; }

  // The expiry of a live key: nullopt if the key is missing, an empty inner optional if persistent.
  std::optional<std::optional<TimePoint>> expiry(std::string_view key);
  // Sets or clears the expiry of a live key; false if the key is missing.
  bool set_expiry(std::string_view key, std::optional<TimePoint> expires_at);

  // The live keys, in no particular order.
  std::vector<std::string_view> keys();
  std::size_t size();  // live keys
  void clear();

  // Removes up to `limit` keys whose expiry time has been reached; returns how many.
  std::size_t sweep(std::size_t limit = static_cast<std::size_t>(-1));
  // The earliest expiry time of any key (expired or not), if some key has one.
  std::optional<TimePoint> next_expiry() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    std::string value;
    std::optional<TimePoint> expires_at;
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  // The entry of a live key (an expired one is removed on the way), or end().
  Map::iterator find_live(std::string_view key);
  void erase_entry(Map::iterator it);
  void set_expiry(Map::iterator it, std::optional<TimePoint> expires_at);

  Map map_;
  // (expiry, key) for every key with an expiry; the key views point at map_'s node keys, which
  // stay put under rehashing.
  std::set<std::pair<TimePoint, std::string_view>> expiries_;
};

}  // namespace kv
