#pragma once
// Fiber stacks: carved from large slabs, one guard page under each, recycled through a free list.
//
// Guard pages use MADV_GUARD_INSTALL (Linux >= 6.13), which marks pages without splitting the
// slab's mapping, so a million stacks cost a few thousand mappings. Older kernels fall back to
// mprotect, which splits mappings and so runs into vm.max_map_count near 30,000 stacks; past that
// the pool warns once and hands out unguarded stacks rather than failing.
//
// A pool belongs to its thread and dies with it; its slabs then go back to the kernel (madvise) and
// are reused by the next pool of the same stack size, so short-lived threads do not accumulate
// memory or mappings.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace spindle::fibers {

struct Fiber;

struct Stack {
  std::byte* bottom = nullptr;  // lowest usable byte (just above the guard page)
  std::size_t size = 0;         // usable bytes
  const Fiber** owner = nullptr;  // its slot in the overflow handler's registry
  bool fresh = false;  // never handed out: its guard page is not installed yet
  std::byte* top() const { return bottom + size; }
};

enum class GuardMode { guard_install, mprotect, none };

struct StackPoolStats {
  std::size_t stacks_in_use = 0;
  std::size_t stacks_free = 0;
  std::size_t slabs = 0;
  std::size_t unguarded = 0;  // stacks handed out without a guard page
  GuardMode mode = GuardMode::guard_install;
};

// One pool per thread and stack size. Not thread-safe: a loop and its fibers live on one thread.
class StackPool {
 public:
  // `stack_size` usable bytes, rounded up to whole pages; each slot adds one guard page.
  explicit StackPool(std::size_t stack_size);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  Stack allocate();
  void release(const Stack& s) noexcept;
  // Gives back the memory of stacks that stayed unused in the pool since the previous trim (the
  // loop calls this when idle, at most about once a second). Hot stacks keep their pages.
  void trim() noexcept;
  // Some free stack may still hold pages: trim() has something left to give back.
  bool untrimmed() const noexcept { return free_.size() > clean_; }
  // Records which fiber runs on `s`, so a stack overflow can be reported by name.
  static void set_owner(const Stack& s, const Fiber* f) noexcept { *s.owner = f; }

  std::size_t stack_size() const { return stack_size_; }
  StackPoolStats stats() const;

  // This thread's pool for `stack_size` (0 = the default size).
  static StackPool& for_size(std::size_t stack_size);
  static std::size_t default_stack_size();
  static GuardMode guard_mode();
  // trim() on every pool of this thread.
  static void trim_all_idle() noexcept;
  // untrimmed() of some pool of this thread.
  static bool any_untrimmed() noexcept;

 private:
  static std::map<std::size_t, std::unique_ptr<StackPool>>& pools();
  std::pair<std::uint32_t, std::size_t> obtain_slab();
  void add_slab();

  std::size_t stack_size_;
  std::size_t stride_;
  std::size_t slot_count_;
  // A free stack in 16 bytes (a million of them must not cost much): `owner` is its owner-table
  // slot, its low bit set while the stack is fresh. A deque: growing never copies (no RSS spike).
  struct FreeSlot {
    std::byte* bottom;
    std::uintptr_t owner_and_fresh;
  };
  Stack unpack(const FreeSlot& f) const;
  FreeSlot pack(const Stack& s) const;

  std::deque<FreeSlot> free_;   // LIFO: the most recently released (hottest) stack on top
  std::size_t clean_ = 0;       // free_[0, clean_) hold no resident pages
  std::size_t low_water_ = 0;   // the smallest free_.size() since the previous trim
  std::vector<std::uint32_t> slabs_;
  std::size_t in_use_ = 0;
  std::size_t unguarded_ = 0;
};

}  // namespace spindle::fibers
