#include "scheduler/schedule.hpp"

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace spindle {

namespace {
std::optional<std::uint64_t> seed_from_environment() {
  const char* v = std::getenv("SPINDLE_SEED");
  if (!v || !*v) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (*end != '\0' || errno == ERANGE || *v == '-' || *v == '+' || *v == ' ') {
    throw std::invalid_argument(std::string("SPINDLE_SEED: '") + v +
                                "' is not a seed (a decimal number from 0 to 2^64-1)");
  }
  return n;
}
}  // namespace

std::optional<std::uint64_t> Schedule::seed() const {
  switch (kind_) {
    case Kind::fifo:
      return std::nullopt;
    case Kind::random:
      return seed_;
    case Kind::from_environment:
      break;
  }
  return seed_from_environment();
}

}  // namespace spindle
