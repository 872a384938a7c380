// Name lookups: libc's own resolver, run on spindle's worker pool while the fiber parks, so
// several lookups are in flight at once (Asio's resolver runs them one at a time per loop).
#include <errno.h>
#include <netdb.h>

#include <cstring>

#include "io/hooks/shim/park.hpp"

namespace spindle::hooks {
namespace {

// Runs `call` on the pool; false if the fiber was cancelled (then `call` either never ran or has
// finished: `ran` says which).
template <class Call>
bool on_pool(const spindle_hooks_runtime& rt, Call& call, bool& ran) {
  struct Job {
    Call* call;
    bool* ran;
    static void run(void* self) {
      auto& j = *static_cast<Job*>(self);
      (*j.call)();
      *j.ran = true;
    }
  } job{&call, &ran};
  return rt.run_blocking(&Job::run, &job) == SPINDLE_HOOK_READY;
}

// gethostbyname's result lives until the thread's next call, as glibc's own does.
struct HostResult {
  hostent host{};
  char buffer[8192];
};
thread_local HostResult t_host;

}  // namespace
}  // namespace spindle::hooks

using namespace spindle::hooks;

SPINDLE_HOOK int getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                             addrinfo** result) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt) return libc().getaddrinfo(node, service, hints, result);
  int rc = EAI_SYSTEM;
  addrinfo* found = nullptr;
  bool ran = false;
  auto call = [&] { rc = libc().getaddrinfo(node, service, hints, &found); };
  if (!on_pool(*rt, call, ran)) {
    if (ran && rc == 0) freeaddrinfo(found);
    errno = ECANCELED;
    return EAI_SYSTEM;
  }
  if (rc == 0) *result = found;
  return rc;
}

SPINDLE_HOOK int gethostbyname_r(const char* name, hostent* host, char* buffer, size_t length,
                                 hostent** result, int* h_error) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt) return libc().gethostbyname_r(name, host, buffer, length, result, h_error);
  int rc = 0;
  bool ran = false;
  auto call = [&] { rc = libc().gethostbyname_r(name, host, buffer, length, result, h_error); };
  if (!on_pool(*rt, call, ran)) {
    *result = nullptr;
    if (h_error) *h_error = NETDB_INTERNAL;
    return ECANCELED;
  }
  return rc;
}

SPINDLE_HOOK hostent* gethostbyname(const char* name) {
  if (!parking_runtime()) return libc().gethostbyname(name);
  hostent* result = nullptr;
  int error = 0;
  HostResult& r = t_host;
  const int rc = gethostbyname_r(name, &r.host, r.buffer, sizeof r.buffer, &result, &error);
  if (rc != 0 || !result) {
    h_errno = error ? error : NETDB_INTERNAL;
    return nullptr;
  }
  return result;
}
