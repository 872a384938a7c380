#include "sync/semaphore.hpp"

#include <stdexcept>
#include <string>

#include "scheduler/lowlevel.hpp"

namespace spindle {

namespace {
std::size_t checked_value(std::ptrdiff_t value, const char* name) {
  if (value < 0) {
    throw std::invalid_argument(std::string("spindle::") + name +
                                ": the initial value must be >= 0, got " + std::to_string(value));
  }
  return static_cast<std::size_t>(value);
}
}  // namespace

Semaphore::Semaphore(std::ptrdiff_t value) : permits_(checked_value(value, "Semaphore"), "Semaphore") {}

Semaphore::Semaphore(std::ptrdiff_t value, std::size_t bound, const char* name)
    : permits_(checked_value(value, name), name), bound_(bound), name_(name) {}

void Semaphore::acquire() {
  lowlevel::checkpoint_if_cancelled("Semaphore::acquire");
  permits_.acquire("Semaphore.acquire");
}

void Semaphore::release() {
  if (permits_.available() >= bound_) {
    throw std::logic_error(std::string("spindle::") + name_ + "::release: released too many times (value " +
                           std::to_string(permits_.available()) + ", initial value " +
                           std::to_string(bound_) + ")");
  }
  permits_.release();
}

BoundedSemaphore::BoundedSemaphore(std::ptrdiff_t value)
    : Semaphore(value, static_cast<std::size_t>(value < 0 ? 0 : value), "BoundedSemaphore") {}

}  // namespace spindle
