#include "scheduler/detail/task_allocator.hpp"

#include <array>
#include <cstdlib>
#include <new>

namespace spindle::detail {
namespace {

constexpr std::size_t kClassBytes = 16;
constexpr std::size_t kClasses = 128;           // blocks up to 2 KiB are cached
constexpr std::size_t kMaxCachedPerClass = 4096;

struct FreeBlock {
  FreeBlock* next;
};

struct Cache {
  std::array<FreeBlock*, kClasses> head{};
  std::array<std::size_t, kClasses> count{};
  ~Cache() {
    for (FreeBlock* b : head) {
      while (b) {
        FreeBlock* next = b->next;
        std::free(b);
        b = next;
      }
    }
  }
};

thread_local Cache t_cache;

std::size_t size_class(std::size_t size) { return (size + kClassBytes - 1) / kClassBytes; }

}  // namespace

void* allocate_task(std::size_t size) {
  const std::size_t c = size_class(size);
  if (c < kClasses && t_cache.head[c]) {
    FreeBlock* b = t_cache.head[c];
    t_cache.head[c] = b->next;
    --t_cache.count[c];
    return b;
  }
  void* p = std::malloc(c * kClassBytes);
  if (!p) throw std::bad_alloc();
  return p;
}

void free_task(void* p, std::size_t size) noexcept {
  const std::size_t c = size_class(size);
  if (c < kClasses && t_cache.count[c] < kMaxCachedPerClass) {
    auto* b = static_cast<FreeBlock*>(p);
    b->next = t_cache.head[c];
    t_cache.head[c] = b;
    ++t_cache.count[c];
    return;
  }
  std::free(p);
}

}  // namespace spindle::detail
