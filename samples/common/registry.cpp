#include "common/registry.hpp"

namespace samples {
namespace {
// A function-local static, so registrations from any file's static initialisers find it built.
std::vector<Sample>& registry() {
  static std::vector<Sample> r;
  return r;
}
}  // namespace

const std::vector<Sample>& all_samples() { return registry(); }

const Sample* find_sample(std::string_view name) {
  for (const Sample& s : registry())
    if (s.name == name) return &s;
  return nullptr;
}

Registration::Registration(std::string_view name, std::string_view title, SampleFn fn) {
  registry().push_back(Sample{name, title, fn});
}

}  // namespace samples
