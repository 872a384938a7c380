#pragma once
// SpawnSite: where a spawn was written (file, line, function), for instruments. It mirrors
// std::source_location's interface but is captured through the compiler builtins GCC and clang
// share: clang 14 with libstdc++ 12 has no std::source_location, and spindle must build there.
namespace spindle {

class SpawnSite {
 public:
  constexpr SpawnSite() = default;
  // The caller's location, when used as a default argument (or default member initializer).
  static constexpr SpawnSite current(const char* file = __builtin_FILE(),
                                     unsigned line = __builtin_LINE(),
                                     const char* function = __builtin_FUNCTION()) noexcept {
    return SpawnSite(file, line, function);
  }

  constexpr const char* file_name() const noexcept { return file_; }
  constexpr unsigned line() const noexcept { return line_; }  // 0: no site recorded
  constexpr const char* function_name() const noexcept { return function_; }

 private:
  constexpr SpawnSite(const char* file, unsigned line, const char* function) noexcept
      : file_(file), line_(line), function_(function) {}
  const char* file_ = "";
  unsigned line_ = 0;
  const char* function_ = "";
};

}  // namespace spindle
