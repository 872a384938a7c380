#pragma once
// The documented PRNG of the random samples (rand, chain, chained): std::mt19937 (32-bit Mersenne
// Twister, the generator Python's `random` uses too) seeded with --seed, 0 meaning the material's
// random.seed(444). Values are derived with fixed formulas, not std::*_distribution (whose
// algorithms differ between standard libraries), so a seed gives the same output everywhere:
//   random()        = ((g() >> 5) * 2^26 + (g() >> 6)) / 2^53   (Python's random.random formula)
//   uniform(a, b)   = a + (b - a) * random()
//   randint(a, b)   = a + g() % (b - a + 1)
// (Python seeds its generator differently, so the numbers are not Python's.)
#include <cstdint>
#include <random>

namespace samples {

class PyRandom {
 public:
  static constexpr std::uint64_t kMaterialSeed = 444;
  explicit PyRandom(std::uint64_t seed)
      : g_(static_cast<std::mt19937::result_type>(seed ? seed : kMaterialSeed)) {}

  double random() {
    const std::uint64_t a = g_() >> 5, b = g_() >> 6;
    return static_cast<double>(a * 67108864u + b) / 9007199254740992.0;
  }
  double uniform(double a, double b) { return a + (b - a) * random(); }
  int randint(int a, int b) { return a + static_cast<int>(g_() % static_cast<std::uint32_t>(b - a + 1)); }

 private:
  std::mt19937 g_;
};

}  // namespace samples
