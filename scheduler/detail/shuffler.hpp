#pragma once
// The loop's seeded generator: Schedule::random's shuffles, and any uniform choice the runtime
// makes. std::mt19937_64 is specified bit for bit, and the bounded draw is spindle's own
// (std::uniform_int_distribution differs between standard libraries), so a seed means the same
// sequence everywhere.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace spindle::detail {

struct Runnable;

class Shuffler {
 public:
  explicit Shuffler(std::uint64_t seed) : gen_(seed) {}

  // Uniform in [0, n) for n ≥ 1 (Lemire's multiply-and-reject: no modulo bias).
  std::uint64_t below(std::uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(gen_()) * n;
    if (static_cast<std::uint64_t>(m) < n) {
      const std::uint64_t threshold = -n % n;
      while (static_cast<std::uint64_t>(m) < threshold) {
        m = static_cast<unsigned __int128>(gen_()) * n;
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  // Fisher–Yates over `v`.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

  std::vector<Runnable*> scratch;  // the ready queue's batch while it is being shuffled

 private:
  std::mt19937_64 gen_;
};

}  // namespace spindle::detail
