#pragma once
// Per-loop services (Asio's use_service): a subsystem above the scheduler (signals, later the file
// backend or the hooks' fd table) keeps its per-loop state in a service that it registers on the
// loop, so the loop knows no subsystem by name.
//
//   struct SignalService : spindle::Service { explicit SignalService(Loop&); ... };
//   auto& s = spindle::use_service<SignalService>(loop);   // created on first use
//
// A service lives until the loop closes: close() destroys the services, in reverse order of
// creation, before the reactor (a service may own I/O objects of the loop's io_context). The next
// run() on the thread starts without any. Loop thread only.
#include <memory>
#include <vector>

namespace spindle {

class Loop;

class Service {
 public:
  Service() = default;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  virtual ~Service() = default;
};

namespace detail {
// The services of one loop, each under its type's key.
class ServiceRegistry {
 public:
  template <class S>
  static const void* key() noexcept {
    static const char k = 0;  // one per service type: its address is the key
    return &k;
  }
  Service* find(const void* key) const noexcept;
  Service& add(const void* key, std::unique_ptr<Service> s);
  // Destroys every service, the newest first.
  void shutdown() noexcept;

 private:
  struct Entry {
    const void* key;
    std::unique_ptr<Service> service;
  };
  std::vector<Entry> entries_;
};
}  // namespace detail

// The loop's service of type S, created as S(loop) on first use. On a closed loop →
// std::logic_error.
template <class S>
S& use_service(Loop& loop);
// The loop's service of type S if it has been created, else nullptr.
template <class S>
S* find_service(Loop& loop) noexcept;

}  // namespace spindle
