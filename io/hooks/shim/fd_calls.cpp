// Descriptors: the calls that make, copy, close or configure them keep the table right in every
// thread; connect and accept park the fiber that makes them.
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "io/hooks/shim/park.hpp"

namespace spindle::hooks {
namespace {

FdKind socket_kind(int type) {
  const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  return base == SOCK_STREAM || base == SOCK_SEQPACKET ? FdKind::stream_socket
                                                       : FdKind::other_socket;
}

// Wakes the fibers parked on `fd` (they fail with EBADF) before the number can be reused.
void forget(const spindle_hooks_runtime& rt, int fd) {
  if (const std::uint64_t gen = fd_closing(fd)) rt.closing(fd, gen);
}

void note_fcntl(int fd, int cmd, void* arg, int result) {
  if (result < 0 || !runtime()) return;
  if (cmd == F_SETFL) fd_set_nonblocking(fd, (reinterpret_cast<long>(arg) & O_NONBLOCK) != 0);
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) fd_duplicated(fd, result);
}

// A connect that would block: started non-blocking (O_NONBLOCK for the moment of the call only),
// then the fiber parks until the socket is writable and reads the outcome from SO_ERROR.
[[gnu::noinline]] int connect_parked(const spindle_hooks_runtime& rt, int fd, const FdInfo& f, const sockaddr* addr,
                   socklen_t len) {
  const int flags = libc().fcntl(fd, F_GETFL);
  if (flags < 0) return -1;
  libc().fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int r = libc().connect(fd, addr, len);
  const int started = errno;
  libc().fcntl(fd, F_SETFL, flags);
  if (r == 0 || (started != EINPROGRESS && started != EAGAIN)) {
    errno = started;
    return r;
  }
  // EAGAIN: a Unix socket whose listener's backlog is full: try again once it is writable.
  const Deadline d(rt, f.send_timeout);
  for (;;) {
    // A blocking connect that times out reports EINPROGRESS (SO_SNDTIMEO).
    if (const int e = park_on(rt, fd, f, POLLOUT, d, "connect", EINPROGRESS)) {
      errno = e;
      return -1;
    }
    if (started == EAGAIN) {
      libc().fcntl(fd, F_SETFL, flags | O_NONBLOCK);
      r = libc().connect(fd, addr, len);
      const int again = errno;
      libc().fcntl(fd, F_SETFL, flags);
      if (r == 0 || again != EAGAIN) {
        errno = again;
        return r;
      }
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    if (libc().poll(&p, 1, 0) == 0) continue;
    int error = 0;
    socklen_t error_len = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len) != 0) return -1;
    if (error == 0) return 0;
    errno = error;
    return -1;
  }
}

[[gnu::noinline]] int accept_call(int fd, sockaddr* addr, socklen_t* len, int flags, const char* what) {
  const spindle_hooks_runtime* rt = parking_runtime();
  int r = -1;
  if (rt) {
    const FdInfo f = fd_info(fd);
    if (f.may_park() && f.socket()) {
      // Only once poll says a connection waits: another fiber woken for the same one may have
      // taken it, and accept on a blocking socket would then block the thread.
      r = until_ready(*rt, fd, f, POLLIN, f.receive_timeout, what, [&] {
        return if_ready(fd, POLLIN, [&] { return libc().accept4(fd, addr, len, flags); });
      });
    } else {
      r = libc().accept4(fd, addr, len, flags);
    }
  } else {
    r = libc().accept4(fd, addr, len, flags);
  }
  if (r >= 0 && runtime()) fd_created(r, FdKind::stream_socket, (flags & SOCK_NONBLOCK) != 0);
  return r;
}

}  // namespace
}  // namespace spindle::hooks

using namespace spindle::hooks;

SPINDLE_HOOK int socket(int domain, int type, int protocol) noexcept {
  const int fd = libc().socket(domain, type, protocol);
  if (fd >= 0 && runtime()) fd_created(fd, socket_kind(type), (type & SOCK_NONBLOCK) != 0);
  return fd;
}

SPINDLE_HOOK int socketpair(int domain, int type, int protocol, int fds[2]) noexcept {
  const int r = libc().socketpair(domain, type, protocol, fds);
  if (r == 0 && runtime()) {
    for (int i = 0; i < 2; ++i) fd_created(fds[i], socket_kind(type), (type & SOCK_NONBLOCK) != 0);
  }
  return r;
}

SPINDLE_HOOK int pipe2(int fds[2], int flags) noexcept {
  const int r = libc().pipe2(fds, flags);
  if (r == 0 && runtime()) {
    for (int i = 0; i < 2; ++i) fd_created(fds[i], FdKind::pollable, (flags & O_NONBLOCK) != 0);
  }
  return r;
}

SPINDLE_HOOK int pipe(int fds[2]) noexcept { return pipe2(fds, 0); }

SPINDLE_HOOK int close(int fd) {
  if (const spindle_hooks_runtime* rt = runtime()) forget(*rt, fd);
  return libc().close(fd);
}

SPINDLE_HOOK int dup(int fd) noexcept {
  const int r = libc().dup(fd);
  if (r >= 0 && runtime()) fd_duplicated(fd, r);
  return r;
}

SPINDLE_HOOK int dup3(int from, int to, int flags) noexcept {
  const spindle_hooks_runtime* rt = runtime();
  if (rt && from != to) forget(*rt, to);  // dup3 closes `to` first
  const int r = libc().dup3(from, to, flags);
  if (r >= 0 && rt) fd_duplicated(from, to);
  return r;
}

SPINDLE_HOOK int dup2(int from, int to) noexcept {
  const spindle_hooks_runtime* rt = runtime();
  if (rt && from != to) forget(*rt, to);
  const int r = libc().dup2(from, to);
  if (r >= 0 && rt && from != to) fd_duplicated(from, to);
  return r;
}

SPINDLE_HOOK int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);  // as glibc's own fcntl reads it, whatever cmd takes
  va_end(ap);
  const int r = libc().fcntl(fd, cmd, arg);
  note_fcntl(fd, cmd, arg, r);
  return r;
}

SPINDLE_HOOK int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  const int r = libc().fcntl64(fd, cmd, arg);
  note_fcntl(fd, cmd, arg, r);
  return r;
}

SPINDLE_HOOK int ioctl(int fd, unsigned long request, ...) noexcept {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  const int r = libc().ioctl(fd, request, arg);
  if (r == 0 && request == FIONBIO && arg && runtime()) {
    fd_set_nonblocking(fd, *static_cast<const int*>(arg) != 0);
  }
  return r;
}

SPINDLE_HOOK int setsockopt(int fd, int level, int name, const void* value, socklen_t len) noexcept {
  const int r = libc().setsockopt(fd, level, name, value, len);
  if (r == 0 && level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO) &&
      len >= sizeof(timeval) && runtime()) {
    const auto& tv = *static_cast<const timeval*>(value);
    fd_set_timeout(fd, name, static_cast<std::int64_t>(tv.tv_sec) * 1'000'000'000 +
                                 static_cast<std::int64_t>(tv.tv_usec) * 1'000);
  }
  return r;
}

SPINDLE_HOOK int connect(int fd, const sockaddr* addr, socklen_t len) {
  if (const spindle_hooks_runtime* rt = parking_runtime()) {
    const FdInfo f = fd_info(fd);
    if (f.may_park() && f.socket()) return connect_parked(*rt, fd, f, addr, len);
  }
  return libc().connect(fd, addr, len);
}

SPINDLE_HOOK int accept(int fd, sockaddr* addr, socklen_t* len) {
  return accept_call(fd, addr, len, 0, "accept");
}

SPINDLE_HOOK int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  return accept_call(fd, addr, len, flags, "accept4");
}
