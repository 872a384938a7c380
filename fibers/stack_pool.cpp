#include "fibers/stack_pool.hpp"

#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string_view>

#include "fibers/detail/slab_registry.hpp"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace spindle::fibers {
namespace {

constexpr std::size_t kDefaultStackSize = 128 * 1024;
constexpr std::size_t kSlabBytes = 32u << 20;  // virtual; only touched pages cost memory

std::size_t page_size() {
  static const std::size_t p = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return p;
}

// SPINDLE_GUARD=mprotect|none forces a fallback (for tests of the old-kernel path).
GuardMode initial_guard_mode() {
  const char* env = std::getenv("SPINDLE_GUARD");
  if (env && std::string_view(env) == "mprotect") return GuardMode::mprotect;
  if (env && std::string_view(env) == "none") return GuardMode::none;
  return GuardMode::guard_install;
}

GuardMode g_guard_mode = initial_guard_mode();

// Returns false when no guard could be placed (the stack is then handed out unguarded).
bool install_guard(std::byte* page) {
  if (g_guard_mode == GuardMode::guard_install) {
    if (madvise(page, page_size(), MADV_GUARD_INSTALL) == 0) return true;
    if (errno != EINVAL) return false;
    spdlog::get("spindle")->info("MADV_GUARD_INSTALL unsupported; guard pages use mprotect");
    g_guard_mode = GuardMode::mprotect;
  }
  if (g_guard_mode == GuardMode::mprotect) {
    if (mprotect(page, page_size(), PROT_NONE) == 0) return true;
    spdlog::get("spindle")->warn(
        "mprotect guard page failed ({}): vm.max_map_count reached; further fiber stacks have no "
        "guard page (raise vm.max_map_count or use Linux >= 6.13)",
        std::strerror(errno));
    g_guard_mode = GuardMode::none;
  }
  return false;
}

}  // namespace

StackPool::StackPool(std::size_t stack_size) {
  const std::size_t page = page_size();
  stack_size_ = (stack_size + page - 1) / page * page;
  if (stack_size_ < 4 * page) stack_size_ = 4 * page;
  stride_ = stack_size_ + page;
  slot_count_ = kSlabBytes / stride_;
  if (slot_count_ < 8) slot_count_ = 8;
  detail::install_overflow_handler();
}

StackPool::~StackPool() = default;  // slabs stay mapped: the overflow registry may point into them

void StackPool::add_slab() {
  const std::size_t bytes = stride_ * slot_count_;
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) throw std::bad_alloc();
  auto* base = static_cast<std::byte*>(mem);
  // The owner table lives as long as the process: the overflow handler may read it any time.
  const Fiber** owners = std::make_unique<const Fiber*[]>(slot_count_).release();
  slabs_.push_back(detail::register_slab({base, stride_, slot_count_, owners}));
  // Slots are handed out from the back of free_, lowest address first.
  for (std::size_t i = slot_count_; i-- > 0;) {
    std::byte* guard = base + i * stride_;
    free_.push_back(pack(Stack{guard + page_size(), stack_size_, &owners[i], true}));
  }
}

Stack StackPool::allocate() {
  if (free_.empty()) add_slab();
  Stack s = unpack(free_.back());
  free_.pop_back();
  ++in_use_;
  if (free_.size() < low_water_) low_water_ = free_.size();
  if (free_.size() < clean_) clean_ = free_.size();
  // Guards are installed on first use, so slabs cost nothing until their stacks are needed.
  if (s.fresh) {
    s.fresh = false;
    if (!install_guard(s.bottom - page_size())) ++unguarded_;
  }
  return s;
}

void StackPool::release(const Stack& s) noexcept {
  --in_use_;
  *s.owner = nullptr;
  free_.push_back(pack(s));
}

StackPool::FreeSlot StackPool::pack(const Stack& s) const {
  return {s.bottom, reinterpret_cast<std::uintptr_t>(s.owner) | (s.fresh ? 1u : 0u)};
}

Stack StackPool::unpack(const FreeSlot& f) const {
  return Stack{f.bottom, stack_size_, reinterpret_cast<const Fiber**>(f.owner_and_fresh & ~std::uintptr_t{1}),
               (f.owner_and_fresh & 1u) != 0};
}

void StackPool::trim() noexcept {
  // free_[0, low_water_) were not touched since the previous trim: cold.
  for (std::size_t i = clean_; i < low_water_; ++i) {
    if (!(free_[i].owner_and_fresh & 1u)) madvise(free_[i].bottom, stack_size_, MADV_DONTNEED);
  }
  if (low_water_ > clean_) clean_ = low_water_;
  low_water_ = free_.size();
}

void StackPool::trim_all_idle() noexcept {
  for (auto& [size, pool] : pools()) pool->trim();
}

StackPoolStats StackPool::stats() const {
  return {in_use_, free_.size(), slabs_.size(), unguarded_, g_guard_mode};
}

std::size_t StackPool::default_stack_size() { return kDefaultStackSize; }
GuardMode StackPool::guard_mode() { return g_guard_mode; }

std::map<std::size_t, std::unique_ptr<StackPool>>& StackPool::pools() {
  thread_local std::map<std::size_t, std::unique_ptr<StackPool>> by_size;
  return by_size;
}

StackPool& StackPool::for_size(std::size_t stack_size) {
  if (stack_size == 0) stack_size = kDefaultStackSize;
  auto& p = pools()[stack_size];
  if (!p) p = std::make_unique<StackPool>(stack_size);
  return *p;
}

}  // namespace spindle::fibers
