#pragma once
// Which order the loop runs what is ready in (RunOptions::schedule).
//
// fifo: one FIFO ready queue, asyncio's order: every sample's output depends on it.
// random(seed): Trio's randomised batches. Everything ready when a batch begins (fibers, callbacks,
// timers that came due together, the completions of one reactor poll) runs in a shuffled order
// before anything made ready after it. The shuffle comes from a generator seeded with `seed`, so
// the same seed replays the same interleaving exactly (under the virtual clock and without real
// I/O, whose timing the seed cannot fix). A run that fails under it prints "SPINDLE_SEED=<seed>"
// on stderr.
// The default: random(n) when the environment has SPINDLE_SEED=n, else fifo (fifo() itself
// ignores the environment, for code that relies on the order).
#include <cstdint>
#include <optional>

namespace spindle {

class Schedule {
 public:
  Schedule() = default;  // SPINDLE_SEED=n → random(n), else fifo
  static Schedule fifo() { return Schedule(Kind::fifo, 0); }
  static Schedule random(std::uint64_t seed) { return Schedule(Kind::random, seed); }

  // The seed this schedule shuffles with, or nullopt for FIFO; the default reads SPINDLE_SEED
  // (not a decimal number → std::invalid_argument naming the variable and its value).
  std::optional<std::uint64_t> seed() const;

 private:
  enum class Kind : unsigned char { from_environment, fifo, random };
  Schedule(Kind k, std::uint64_t seed) : kind_(k), seed_(seed) {}
  Kind kind_ = Kind::from_environment;
  std::uint64_t seed_ = 0;
};

}  // namespace spindle
