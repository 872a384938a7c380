#include "store.hpp"

#include <chrono>

namespace kv {

Store::UnixMs Store::now_ms() {
  using std::chrono::milliseconds;
  const spindle::TimePoint t = spindle::now();
  if (!anchor_) {
    const UnixMs unix_ms = unix_anchor_ ? *unix_anchor_
                                        : std::chrono::duration_cast<milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count();
    anchor_ = Anchor{t, unix_ms};
  }
  return anchor_->unix_ms + std::chrono::floor<milliseconds>(t - anchor_->at).count();
}

Store::Map::iterator Store::find_live(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return it;
  if (it->second.expires_at && *it->second.expires_at < now_ms()) {
    erase_entry(it);
    return map_.end();
  }
  return it;
}

void Store::erase_entry(Map::iterator it) {
  if (it->second.expires_at) expiries_.erase({*it->second.expires_at, std::string_view(it->first)});
  map_.erase(it);
}

void Store::set_expiry(Map::iterator it, std::optional<UnixMs> expires_at) {
  auto& current = it->second.expires_at;
  if (current == expires_at) return;
  std::string_view key = it->first;
  if (current) expiries_.erase({*current, key});
  current = expires_at;
  if (current) expiries_.emplace(*current, key);
}

std::string* Store::find(std::string_view key) {
  auto it = find_live(key);
  return it == map_.end() ? nullptr : &it->second.value;
}

void Store::set(std::string_view key, std::string_view value, std::optional<UnixMs> expires_at,
                bool keep_ttl) {
  auto it = find_live(key);
  if (it == map_.end()) {
    it = map_.emplace(std::string(key), Entry{}).first;
    keep_ttl = false;
  }
  it->second.value.assign(value);  // reuses the old value's capacity
  if (!keep_ttl) set_expiry(it, expires_at);
}

bool Store::erase(std::string_view key) {
  auto it = find_live(key);
  if (it == map_.end()) return false;
  erase_entry(it);
  return true;
}

std::optional<std::optional<Store::UnixMs>> Store::expiry(std::string_view key) {
  auto it = find_live(key);
  if (it == map_.end()) return std::nullopt;
  return it->second.expires_at;
}

bool Store::set_expiry(std::string_view key, std::optional<UnixMs> expires_at) {
  auto it = find_live(key);
  if (it == map_.end()) return false;
  set_expiry(it, expires_at);
  return true;
}

std::vector<std::string_view> Store::keys() {
  sweep();
  std::vector<std::string_view> out;
  out.reserve(map_.size());
  for (const auto& [key, entry] : map_) out.push_back(key);
  return out;
}

std::size_t Store::size() {
  sweep();
  return map_.size();
}

void Store::clear() {
  expiries_.clear();
  map_.clear();
}

std::size_t Store::sweep(std::size_t limit) {
  if (expiries_.empty()) return 0;
  const UnixMs now = now_ms();
  std::size_t removed = 0;
  while (removed < limit && !expiries_.empty() && expiries_.begin()->first < now) {
    auto it = map_.find(expiries_.begin()->second);
    erase_entry(it);  // also removes the expiries_ entry
    ++removed;
  }
  return removed;
}

std::optional<Store::UnixMs> Store::next_expiry() const {
  if (expiries_.empty()) return std::nullopt;
  return expiries_.begin()->first;
}

}  // namespace kv
