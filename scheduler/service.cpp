#include "scheduler/service.hpp"

namespace spindle::detail {

Service* ServiceRegistry::find(const void* key) const noexcept {
  for (const Entry& e : entries_) {
    if (e.key == key) return e.service.get();
  }
  return nullptr;
}

Service& ServiceRegistry::add(const void* key, std::unique_ptr<Service> s) {
  entries_.push_back({key, std::move(s)});
  return *entries_.back().service;
}

void ServiceRegistry::shutdown() noexcept {
  while (!entries_.empty()) entries_.pop_back();
}

}  // namespace spindle::detail
