#pragma once
// SPINDLE_HOT_PATH on the definition of a function every switch runs through (yield, park, wake,
// suspend): it starts on a cache line of its own. Their cost otherwise moves by a few percent with
// where the linker happens to place them (measured: yield 15.2 vs 15.7 ns with identical code).
#define SPINDLE_HOT_PATH [[gnu::aligned(64)]]
