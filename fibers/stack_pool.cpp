#include "fibers/stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string_view>
#include <vector>

#include "fibers/detail/logger.hpp"
#include "fibers/detail/sanitizers.hpp"
#include "fibers/detail/slab_registry.hpp"

#if SPINDLE_ASAN
#include <sanitizer/asan_interface.h>
#endif

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

// Read and downgraded by every thread that maps stacks.
std::atomic<GuardMode> g_guard_mode{initial_guard_mode()};

// Moves g_guard_mode from `from` to `to`; true for the one thread that did it (and logs why).
bool downgrade_guard_mode(GuardMode from, GuardMode to) {
  return g_guard_mode.compare_exchange_strong(from, to, std::memory_order_relaxed);
}

// Returns false when no guard could be placed (the stack is then handed out unguarded).
bool install_guard(std::byte* page) {
  if (g_guard_mode.load(std::memory_order_relaxed) == GuardMode::guard_install) {
    if (madvise(page, page_size(), MADV_GUARD_INSTALL) == 0) return true;
    if (errno != EINVAL) return false;
    if (downgrade_guard_mode(GuardMode::guard_install, GuardMode::mprotect)) {
      detail::logger().info("MADV_GUARD_INSTALL unsupported; guard pages use mprotect");
    }
  }
  if (g_guard_mode.load(std::memory_order_relaxed) == GuardMode::mprotect) {
    if (mprotect(page, page_size(), PROT_NONE) == 0) return true;
    const int err = errno;
    if (downgrade_guard_mode(GuardMode::mprotect, GuardMode::none)) {
      detail::logger().warn(
          "mprotect guard page failed ({}): vm.max_map_count reached; further fiber stacks have "
          "no guard page (raise vm.max_map_count or use Linux >= 6.13)",
          std::strerror(err));
    }
  }
  return false;
}

// A slab whose thread ended, kept for the next pool with the same stride: slabs are never unmapped
// (the overflow registry may point into them), so without reuse every thread would keep its own,
// and the registry's 65,536 entries would run out after as many threads.
struct SpareSlab {
  std::size_t stride;
  std::uint32_t index;     // in the slab registry
  std::size_t fresh_from;  // slots [fresh_from, slots) never had their guard page installed
};

struct SpareSlabs {
  std::mutex mutex;
  std::vector<SpareSlab> slabs;
};

SpareSlabs& spare_slabs() {
  static auto* spares =
      new SpareSlabs;  // never destroyed: threads may end during static destruction
  return *spares;
}

// Under ASan: the frames that were on a slab's stacks left their redzones poisoned, and the next
// pool's fibers would trip over them (a bad store, or ASan failing its own stack-frame check). The
// shadow's whole pages are given back (they read back as zero: unpoisoned, and cost nothing); the
// bytes at either end, which share a shadow page with other memory, are cleared.
void unpoison_for_reuse([[maybe_unused]] std::byte* base, [[maybe_unused]] std::size_t bytes) {
#if SPINDLE_ASAN
  std::size_t scale = 0, offset = 0;
  __asan_get_shadow_mapping(&scale, &offset);
  const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(base), end = begin + bytes;
  const std::uintptr_t unit = page_size() << scale;  // memory whose shadow is one whole page
  const std::uintptr_t inner_begin = (begin + unit - 1) / unit * unit,
                       inner_end = end / unit * unit;
  if (inner_begin >= inner_end) {
    ASAN_UNPOISON_MEMORY_REGION(base, bytes);
    return;
  }
  madvise(reinterpret_cast<void*>((inner_begin >> scale) + offset),
          (inner_end - inner_begin) >> scale, MADV_DONTNEED);
  ASAN_UNPOISON_MEMORY_REGION(base, inner_begin - begin);
  ASAN_UNPOISON_MEMORY_REGION(reinterpret_cast<void*>(inner_end), end - inner_end);
#endif
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

// Slabs stay mapped (the overflow registry may point into them); once every stack is back, their
// pages go to the kernel and the slabs to the next pool of this stride. A stack still in use (a
// fiber never reaped) keeps its slabs out of reuse.
StackPool::~StackPool() {
  if (in_use_ > 0 || slabs_.empty()) return;
  // Only the newest slab can hold fresh slots (a slab is added when free_ is empty, and fresh
  // slots are handed out in address order), and they are its highest ones.
  std::size_t fresh = 0;
  for (const FreeSlot& f : free_) fresh += f.owner_and_fresh & 1u;
  std::lock_guard lock(spare_slabs().mutex);
  for (std::uint32_t index : slabs_) {
    const detail::SlabRecord& r = detail::slab(index);
    madvise(r.base, r.stride * r.slots, MADV_DONTNEED);  // keeps MADV_GUARD_INSTALL guards
    unpoison_for_reuse(r.base, r.stride * r.slots);
    const std::size_t fresh_from = index == slabs_.back() ? slot_count_ - fresh : slot_count_;
    spare_slabs().slabs.push_back({stride_, index, fresh_from});
  }
}

// A spare slab of this stride (its index and first fresh slot), or a new one.
std::pair<std::uint32_t, std::size_t> StackPool::obtain_slab() {
  {
    SpareSlabs& spares = spare_slabs();
    std::lock_guard lock(spares.mutex);
    for (auto it = spares.slabs.begin(); it != spares.slabs.end(); ++it) {
      if (it->stride != stride_) continue;
      const std::pair found{it->index, it->fresh_from};
      spares.slabs.erase(it);
      return found;
    }
  }
  const std::size_t bytes = stride_ * slot_count_;
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) throw std::bad_alloc();
  // The owner table lives as long as the process: the overflow handler may read it any time.
  const Fiber** owners = std::make_unique<const Fiber*[]>(slot_count_).release();
  return {detail::register_slab({static_cast<std::byte*>(mem), stride_, slot_count_, owners}), 0};
}

void StackPool::add_slab() {
  const auto [index, fresh_from] = obtain_slab();
  slabs_.push_back(index);
  const detail::SlabRecord& r = detail::slab(index);
  // Slots are handed out from the back of free_, lowest address first.
  for (std::size_t i = slot_count_; i-- > 0;) {
    std::byte* guard = r.base + i * stride_;
    free_.push_back(pack(Stack{guard + page_size(), stack_size_, &r.owners[i], i >= fresh_from}));
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
  return Stack{f.bottom, stack_size_,
               reinterpret_cast<const Fiber**>(f.owner_and_fresh & ~std::uintptr_t{1}),
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

bool StackPool::any_untrimmed() noexcept {
  for (auto& [size, pool] : pools()) {
    if (pool->untrimmed()) return true;
  }
  return false;
}

StackPoolStats StackPool::stats() const {
  return {in_use_, free_.size(), slabs_.size(), unguarded_,
          g_guard_mode.load(std::memory_order_relaxed)};
}

std::size_t StackPool::default_stack_size() { return kDefaultStackSize; }
GuardMode StackPool::guard_mode() { return g_guard_mode.load(std::memory_order_relaxed); }

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
