#pragma once
// Task objects are allocated and freed at the rate of spawns; a per-thread cache of recently freed
// blocks (by 16-byte size class, bounded) keeps that off malloc's slow paths.
#include <cstddef>

namespace spindle::detail {
void* allocate_task(std::size_t size);
void free_task(void* p, std::size_t size) noexcept;
}  // namespace spindle::detail
