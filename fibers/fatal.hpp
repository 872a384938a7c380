#pragma once
// The library's one way to give up: says why on stderr, then aborts. For states that cannot be
// survived (memory that others still point into is going away); never for bad input.
#include <string_view>

namespace spindle::fibers {

// Writes "spindle: fatal: <why>\n" to stderr with write(2), then calls abort().
[[noreturn]] void fatal(std::string_view why) noexcept;

}  // namespace spindle::fibers
