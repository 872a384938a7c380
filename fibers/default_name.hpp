#pragma once
// The one rule for the name of a fiber that was given none: "Task-<id>" (asyncio's). Built in a
// fixed buffer without allocating, so the stack-overflow report (a signal handler) uses it too.
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace spindle::fibers {

struct DefaultName {
  char text[32];  // "Task-", up to 20 digits, NUL
  std::size_t size;
  std::string_view view() const { return {text, size}; }
};

inline DefaultName default_name(std::uint64_t id) noexcept {
  DefaultName n;
  constexpr std::string_view prefix = "Task-";
  std::memcpy(n.text, prefix.data(), prefix.size());
  char* end = std::to_chars(n.text + prefix.size(), n.text + sizeof n.text - 1, id).ptr;
  *end = '\0';
  n.size = static_cast<std::size_t>(end - n.text);
  return n;
}

}  // namespace spindle::fibers
