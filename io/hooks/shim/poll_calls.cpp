// poll, ppoll and select: one park on every descriptor at once, with the timeout on the loop's
// clock. After each wake a zero-timeout call of the real function gives the exact answer (it
// also reports descriptors closed meanwhile: POLLNVAL, EBADF).
#include <sys/select.h>

#include <cstdint>
#include <vector>

#include "io/hooks/shim/park.hpp"

extern "C" [[noreturn]] void __chk_fail();  // glibc's _FORTIFY_SOURCE abort

namespace spindle::hooks {
namespace {

constexpr std::int64_t kNanosPerMilli = 1'000'000;

// `check` (the real call with a zero timeout) until it reports something, the timeout passes
// (returns 0), or the wait fails (ECANCELED).
template <class Check>
int wait_until_reported(const spindle_hooks_runtime& rt, std::vector<spindle_hook_fd>& fds,
                        std::int64_t timeout_ns, const char* what, Check check) {
  const Deadline d(rt, timeout_ns);
  for (;;) {
    const int n = check();
    if (n != 0) return n;
    if (timeout_ns >= 0 && d.remaining() == 0) return 0;
    for (spindle_hook_fd& f : fds) f.gen = fd_info(f.fd).gen;
    switch (rt.wait(fds.data(), fds.size(), timeout_ns < 0 ? -1 : d.remaining(), what)) {
      case SPINDLE_HOOK_TIMED_OUT: return check();
      case SPINDLE_HOOK_CANCELLED: errno = ECANCELED; return -1;
      default: break;  // ready or closed: look again
    }
  }
}

// A timeout in ns from poll's milliseconds (< 0: none).
std::int64_t from_millis(int ms) { return ms < 0 ? -1 : ms * kNanosPerMilli; }

[[gnu::noinline]] int poll_parked(const spindle_hooks_runtime& rt, pollfd* fds, nfds_t n, std::int64_t timeout_ns,
                const char* what) {
  std::vector<spindle_hook_fd> watched;
  for (nfds_t i = 0; i < n; ++i) {
    // Waits are only for what was asked: POLLHUP and POLLERR come with POLLIN and POLLOUT waits
    // too, and a descriptor asked for nothing cannot wake the call early.
    const short events = fds[i].events & (POLLIN | POLLOUT | POLLPRI);
    if (fds[i].fd >= 0 && events) watched.push_back({fds[i].fd, events, 0});
  }
  return wait_until_reported(rt, watched, timeout_ns, what, [&] { return libc().poll(fds, n, 0); });
}

}  // namespace
}  // namespace spindle::hooks

using namespace spindle::hooks;

SPINDLE_HOOK int poll(pollfd* fds, nfds_t n, int timeout_ms) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt || timeout_ms == 0) return libc().poll(fds, n, timeout_ms);
  return poll_parked(*rt, fds, n, from_millis(timeout_ms), "poll");
}

SPINDLE_HOOK int ppoll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask) {
  const spindle_hooks_runtime* rt = parking_runtime();
  // A signal mask cannot be applied to one fiber's wait: such a ppoll stays libc's.
  if (!rt || mask || (timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0)) {
    return libc().ppoll(fds, n, timeout, mask);
  }
  if (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1'000'000'000)) {
    errno = EINVAL;
    return -1;
  }
  const std::int64_t ns = timeout ? timeout->tv_sec * 1'000'000'000 + timeout->tv_nsec : -1;
  return poll_parked(*rt, fds, n, ns, "ppoll");
}

SPINDLE_HOOK int select(int nfds, fd_set* readable, fd_set* writable, fd_set* exceptional,
                        timeval* timeout) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt || nfds < 0 || nfds > FD_SETSIZE || (timeout && timeout->tv_sec == 0 && timeout->tv_usec == 0)) {
    return libc().select(nfds, readable, writable, exceptional, timeout);
  }
  if (timeout && (timeout->tv_sec < 0 || timeout->tv_usec < 0)) {
    errno = EINVAL;
    return -1;
  }
  const fd_set none{};
  const fd_set r_in = readable ? *readable : none;
  const fd_set w_in = writable ? *writable : none;
  const fd_set e_in = exceptional ? *exceptional : none;
  std::vector<spindle_hook_fd> watched;
  for (int fd = 0; fd < nfds; ++fd) {
    short events = 0;
    if (FD_ISSET(fd, &r_in)) events |= POLLIN;
    if (FD_ISSET(fd, &w_in)) events |= POLLOUT;
    if (FD_ISSET(fd, &e_in)) events |= POLLPRI;
    if (events) watched.push_back({fd, events, 0});
  }
  const std::int64_t ns =
      timeout ? timeout->tv_sec * 1'000'000'000 + static_cast<std::int64_t>(timeout->tv_usec) * 1'000 : -1;
  const Deadline d(*rt, ns);
  const int r = wait_until_reported(*rt, watched, ns, "select", [&] {
    // Each look starts from the sets as given (select overwrites them).
    if (readable) *readable = r_in;
    if (writable) *writable = w_in;
    if (exceptional) *exceptional = e_in;
    timeval zero{0, 0};
    return libc().select(nfds, readable, writable, exceptional, &zero);
  });
  if (timeout) {  // Linux leaves the time not slept in *timeout
    const std::int64_t left = d.remaining() < 0 ? 0 : d.remaining();
    timeout->tv_sec = left / 1'000'000'000;
    timeout->tv_usec = (left % 1'000'000'000) / 1'000;
  }
  return r;
}

SPINDLE_HOOK int __poll_chk(pollfd* fds, nfds_t n, int timeout_ms, size_t fds_len) {
  if (fds_len / sizeof(pollfd) < n) __chk_fail();
  return poll(fds, n, timeout_ms);
}
