#include "fibers/fatal.hpp"

#include <unistd.h>

#include <cstdlib>

namespace spindle::fibers {

namespace {
void write_all(std::string_view s) noexcept {
  while (!s.empty()) {
    const ssize_t n = write(STDERR_FILENO, s.data(), s.size());
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}
}  // namespace

void fatal(std::string_view why) noexcept {
  write_all("spindle: fatal: ");
  write_all(why);
  write_all("\n");
  std::abort();
}

}  // namespace spindle::fibers
