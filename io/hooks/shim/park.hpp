#pragma once
// The shim's one way of blocking: try the call without blocking; on EAGAIN park the fiber on the
// descriptor's readiness (through the runtime) and try again, until it succeeds, fails for real,
// or the descriptor's timeout, a cancellation or a close ends the wait.
#include <errno.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "io/hooks/bridge.hpp"
#include "io/hooks/shim/fd_table.hpp"
#include "io/hooks/shim/libc.hpp"

// A function the shim puts in front of libc's.
#define SPINDLE_HOOK extern "C" [[gnu::visibility("default")]]

namespace spindle::hooks {

// The runtime if spindle is in this process, else nullptr (plain libc everywhere); looked up on
// first use.
extern std::atomic<const spindle_hooks_runtime*> g_runtime;
extern std::atomic<bool> g_runtime_known;
[[gnu::cold]] const spindle_hooks_runtime* find_runtime() noexcept;
inline const spindle_hooks_runtime* runtime() {
  if (!g_runtime_known.load(std::memory_order_acquire)) [[unlikely]] return find_runtime();
  return g_runtime.load(std::memory_order_relaxed);
}
// The runtime when the caller is a fiber that may park, else nullptr.
inline const spindle_hooks_runtime* parking_runtime() {
  const spindle_hooks_runtime* rt = runtime();
  return rt && rt->in_fiber() ? rt : nullptr;
}

// A timeout counted on the loop's clock from the start of the call.
class Deadline {
 public:
  // timeout_ns ≤ 0: none (a socket timeout of 0 means forever).
  Deadline(const spindle_hooks_runtime& rt, std::int64_t timeout_ns)
      : rt_(rt), at_(timeout_ns > 0 ? rt.now() + timeout_ns : -1) {}
  // What is left, for runtime::wait (-1: none; 0 once passed).
  std::int64_t remaining() const {
    if (at_ < 0) return -1;
    const std::int64_t left = at_ - rt_.now();
    return left > 0 ? left : 0;
  }

 private:
  const spindle_hooks_runtime& rt_;
  std::int64_t at_;
};

// Parks on `fd` for `events`; returns 0 to try again, or the errno the call fails with
// (`timeout_errno` when the deadline passed, ECANCELED, EBADF).
int park_on(const spindle_hooks_runtime& rt, int fd, const FdInfo& f, short events,
            const Deadline& d, const char* what, int timeout_errno = EAGAIN);

// For a pipe, terminal or other pollable file that blocks: runs `call` only once a zero-timeout
// poll says it will not block, else fails with EAGAIN like a non-blocking try.
template <class Call>
auto if_ready(int fd, short events, Call call) -> decltype(call()) {
  pollfd p{fd, events, 0};
  if (libc().poll(&p, 1, 0) == 0) {
    errno = EAGAIN;
    return -1;
  }
  return call();  // ready, or an error (POLLNVAL, POLLHUP...) that the call itself reports
}

// Tries `attempt` (a call that does not block) until it does not fail with EAGAIN.
template <class Attempt>
auto until_ready(const spindle_hooks_runtime& rt, int fd, const FdInfo& f, short events,
                 std::int64_t timeout_ns, const char* what, Attempt attempt) -> decltype(attempt()) {
  const Deadline d(rt, timeout_ns);
  // A try the loop knows would fail with EAGAIN is skipped (Asio's speculative-operation rule).
  if (!rt.maybe_ready(fd, f.gen, events)) {
    if (const int e = park_on(rt, fd, f, events, d, what)) {
      errno = e;
      return -1;
    }
  }
  for (;;) {
    const auto n = attempt();
    if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return n;
    if (const int e = park_on(rt, fd, f, events, d, what)) {
      errno = e;
      return -1;
    }
  }
}

// A blocking write: `attempt(offset, length)` (a call that does not block) until all `total`
// bytes are written. An error or a timeout after some were written returns their count, as the
// kernel does for a blocking socket.
template <class Attempt>
ssize_t write_all(const spindle_hooks_runtime& rt, int fd, const FdInfo& f, std::size_t total,
                  const char* what, Attempt attempt) {
  const Deadline d(rt, f.send_timeout);
  std::size_t done = 0;
  do {
    const ssize_t n = attempt(done, total - done);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) return done ? static_cast<ssize_t>(done) : -1;
    if (const int e = park_on(rt, fd, f, POLLOUT, d, what)) {
      if (done) return static_cast<ssize_t>(done);
      errno = e;
      return -1;
    }
  } while (done < total);
  return static_cast<ssize_t>(done);
}

// A call on a descriptor the hooks cannot park on (a regular file...): libc's, timed in debug
// mode so that one blocking the loop for more than 10 ms is reported.
template <class Call>
auto unhooked(const spindle_hooks_runtime& rt, const char* what, int fd, Call call)
    -> decltype(call()) {
  if (!rt.debug()) return call();
  const auto start = std::chrono::steady_clock::now();  // real time: the loop's may be virtual
  auto r = call();
  const int saved = errno;
  const auto took = std::chrono::steady_clock::now() - start;
  if (took > std::chrono::milliseconds(10)) {
    rt.report_blocking(what, fd, std::chrono::nanoseconds(took).count());
  }
  errno = saved;
  return r;
}

}  // namespace spindle::hooks
