#pragma once
// Process-wide table of stack slabs, read by the SIGSEGV handler to map a faulting address to the
// fiber whose guard page it hit. Append-only; entries are published before any stack is used.
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace spindle::fibers {
struct Fiber;
}

namespace spindle::fibers::detail {

struct SlabRecord {
  std::byte* base = nullptr;  // the slab's first guard page
  std::size_t stride = 0;     // guard page + usable stack
  std::size_t slots = 0;
  const Fiber** owners = nullptr;  // one per slot; nullptr when the slot is free
};

std::uint32_t register_slab(const SlabRecord& r);
SlabRecord& slab(std::uint32_t index);
std::uint32_t slab_count() noexcept;

// Installs the overflow handler for the process (once) and an alternate signal stack for the
// calling thread (once per thread).
void install_overflow_handler();

}  // namespace spindle::fibers::detail
