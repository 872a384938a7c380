// Reading and writing: read, write, readv, writev, recv*, send* (and the _FORTIFY_SOURCE
// variants). Sockets are tried with MSG_DONTWAIT, other pollable files after a zero-timeout
// poll; a blocking write or send writes everything.
#include <limits.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "io/hooks/shim/park.hpp"

extern "C" [[noreturn]] void __chk_fail();  // glibc's _FORTIFY_SOURCE abort

namespace spindle::hooks {
namespace {

// An iovec array being written piece by piece: the part from `offset` on, at most `limit` bytes.
class IovTail {
 public:
  IovTail(const iovec* iov, int count) : all_(iov, iov + std::max(count, 0)) {}
  std::size_t total() const {
    std::size_t n = 0;
    for (const iovec& v : all_) n += v.iov_len;
    return n;
  }
  const std::vector<iovec>& from(std::size_t offset, std::size_t limit) {
    part_.clear();
    for (const iovec& v : all_) {
      if (limit == 0) break;
      if (offset >= v.iov_len) {
        offset -= v.iov_len;
        continue;
      }
      const std::size_t len = std::min(v.iov_len - offset, limit);
      part_.push_back(iovec{static_cast<char*>(v.iov_base) + offset, len});
      limit -= len;
      offset = 0;
    }
    return part_;
  }

 private:
  std::vector<iovec> all_;
  std::vector<iovec> part_;
};

ssize_t send_stream(const spindle_hooks_runtime& rt, int fd, const FdInfo& f, const msghdr& m,
                    int flags, const char* what) {
  IovTail tail(m.msg_iov, static_cast<int>(m.msg_iovlen));
  bool first = true;
  return write_all(rt, fd, f, tail.total(), what, [&](std::size_t off, std::size_t len) {
    msghdr piece = m;
    const auto& iov = tail.from(off, len);
    piece.msg_iov = const_cast<iovec*>(iov.data());
    piece.msg_iovlen = iov.size();
    if (!first) {  // ancillary data goes with the first bytes only
      piece.msg_control = nullptr;
      piece.msg_controllen = 0;
    }
    const ssize_t n = libc().sendmsg(fd, &piece, flags | MSG_DONTWAIT);
    if (n > 0) first = false;
    return n;
  });
}

// A pipe or terminal takes at most PIPE_BUF bytes per write once poll says it is writable
// without blocking.
ssize_t write_pollable(const spindle_hooks_runtime& rt, int fd, const FdInfo& f,
                       const iovec* iov, int count, const char* what) {
  IovTail tail(iov, count);
  return write_all(rt, fd, f, tail.total(), what, [&](std::size_t off, std::size_t len) {
    return if_ready(fd, POLLOUT, [&] {
      const auto& part = tail.from(off, std::min<std::size_t>(len, PIPE_BUF));
      return libc().writev(fd, part.data(), static_cast<int>(part.size()));
    });
  });
}

ssize_t receive(const spindle_hooks_runtime& rt, int fd, const FdInfo& f, msghdr& m, int flags,
                const char* what) {
  const ssize_t n = until_ready(rt, fd, f, POLLIN, f.receive_timeout, what,
                                [&] { return libc().recvmsg(fd, &m, flags | MSG_DONTWAIT); });
  // A stream socket that gave less than asked has nothing left: the next read need not try.
  if (n > 0 && f.kind == FdKind::stream_socket && !(flags & MSG_PEEK) &&
      static_cast<std::size_t>(n) < IovTail(m.msg_iov, static_cast<int>(m.msg_iovlen)).total()) {
    rt.drained(fd, f.gen, POLLIN);
  }
  return n;
}

[[gnu::noinline]] ssize_t read_vector(int fd, const iovec* iov, int count, const char* what) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt) return libc().readv(fd, iov, count);
  const FdInfo f = fd_info(fd);
  if (!f.may_park()) return unhooked(*rt, what, fd, [&] { return libc().readv(fd, iov, count); });
  if (f.socket()) {
    msghdr m{};
    m.msg_iov = const_cast<iovec*>(iov);
    m.msg_iovlen = static_cast<std::size_t>(std::max(count, 0));
    return receive(*rt, fd, f, m, 0, what);
  }
  return until_ready(*rt, fd, f, POLLIN, 0, what, [&] {
    return if_ready(fd, POLLIN, [&] { return libc().readv(fd, iov, count); });
  });
}

[[gnu::noinline]] ssize_t write_vector(int fd, const iovec* iov, int count, const char* what) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt) return libc().writev(fd, iov, count);
  const FdInfo f = fd_info(fd);
  if (!f.may_park()) return unhooked(*rt, what, fd, [&] { return libc().writev(fd, iov, count); });
  if (f.kind == FdKind::pollable) return write_pollable(*rt, fd, f, iov, count, what);
  msghdr m{};
  m.msg_iov = const_cast<iovec*>(iov);
  m.msg_iovlen = static_cast<std::size_t>(std::max(count, 0));
  if (f.kind == FdKind::stream_socket) return send_stream(*rt, fd, f, m, 0, what);
  return until_ready(*rt, fd, f, POLLOUT, f.send_timeout, what,
                     [&] { return libc().sendmsg(fd, &m, MSG_DONTWAIT); });
}

// recv/recvfrom/recvmsg: a caller's MSG_DONTWAIT or non-blocking socket gets libc's answer;
// MSG_WAITALL on a stream socket gathers until the buffer is full, the peer ends or an error.
[[gnu::noinline]] ssize_t receive_message(msghdr& m, int fd, int flags, const char* what, bool whole_buffer) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt || (flags & MSG_DONTWAIT)) return libc().recvmsg(fd, &m, flags);
  const FdInfo f = fd_info(fd);
  if (!f.may_park() || !f.socket()) return libc().recvmsg(fd, &m, flags);
  if (!(flags & MSG_WAITALL) || !whole_buffer || f.kind != FdKind::stream_socket) {
    return receive(*rt, fd, f, m, flags, what);
  }
  IovTail tail(m.msg_iov, static_cast<int>(m.msg_iovlen));
  const std::size_t want = tail.total();
  std::size_t got = 0;
  while (got < want) {
    msghdr piece = m;
    const auto& iov = tail.from(got, want - got);
    piece.msg_iov = const_cast<iovec*>(iov.data());
    piece.msg_iovlen = iov.size();
    const ssize_t n = receive(*rt, fd, f, piece, flags & ~MSG_WAITALL, what);
    if (n <= 0) return got ? static_cast<ssize_t>(got) : n;
    got += static_cast<std::size_t>(n);
    m.msg_flags = piece.msg_flags;
  }
  return static_cast<ssize_t>(got);
}

[[gnu::noinline]] ssize_t send_message(const msghdr& m, int fd, int flags, const char* what) {
  const spindle_hooks_runtime* rt = parking_runtime();
  if (!rt || (flags & MSG_DONTWAIT)) return libc().sendmsg(fd, &m, flags);
  const FdInfo f = fd_info(fd);
  if (!f.may_park() || !f.socket()) return libc().sendmsg(fd, &m, flags);
  if (f.kind == FdKind::stream_socket) return send_stream(*rt, fd, f, m, flags, what);
  return until_ready(*rt, fd, f, POLLOUT, f.send_timeout, what,
                     [&] { return libc().sendmsg(fd, &m, flags | MSG_DONTWAIT); });
}

[[noreturn]] void buffer_overflow() { __chk_fail(); }

}  // namespace
}  // namespace spindle::hooks

using namespace spindle::hooks;

SPINDLE_HOOK ssize_t read(int fd, void* buf, size_t n) {
  if (!parking_runtime()) return libc().read(fd, buf, n);
  const iovec one{buf, n};
  return read_vector(fd, &one, 1, "read");
}

SPINDLE_HOOK ssize_t write(int fd, const void* buf, size_t n) {
  if (!parking_runtime()) return libc().write(fd, buf, n);
  const iovec one{const_cast<void*>(buf), n};
  return write_vector(fd, &one, 1, "write");
}

SPINDLE_HOOK ssize_t readv(int fd, const iovec* iov, int count) {
  return read_vector(fd, iov, count, "readv");
}

SPINDLE_HOOK ssize_t writev(int fd, const iovec* iov, int count) {
  return write_vector(fd, iov, count, "writev");
}

SPINDLE_HOOK ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if (!parking_runtime()) return libc().recv(fd, buf, n, flags);
  iovec one{buf, n};
  msghdr m{};
  m.msg_iov = &one;
  m.msg_iovlen = 1;
  return receive_message(m, fd, flags, "recv", true);
}

SPINDLE_HOOK ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* from,
                              socklen_t* from_len) {
  if (!parking_runtime()) return libc().recvfrom(fd, buf, n, flags, from, from_len);
  iovec one{buf, n};
  msghdr m{};
  m.msg_name = from;
  m.msg_namelen = from_len ? *from_len : 0;
  m.msg_iov = &one;
  m.msg_iovlen = 1;
  const ssize_t r = receive_message(m, fd, flags, "recvfrom", from == nullptr);
  if (r >= 0 && from_len) *from_len = m.msg_namelen;
  return r;
}

SPINDLE_HOOK ssize_t recvmsg(int fd, msghdr* m, int flags) {
  if (!parking_runtime()) return libc().recvmsg(fd, m, flags);
  return receive_message(*m, fd, flags, "recvmsg", true);
}

SPINDLE_HOOK ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if (!parking_runtime()) return libc().send(fd, buf, n, flags);
  iovec one{const_cast<void*>(buf), n};
  msghdr m{};
  m.msg_iov = &one;
  m.msg_iovlen = 1;
  return send_message(m, fd, flags, "send");
}

SPINDLE_HOOK ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* to,
                            socklen_t to_len) {
  if (!parking_runtime()) return libc().sendto(fd, buf, n, flags, to, to_len);
  iovec one{const_cast<void*>(buf), n};
  msghdr m{};
  m.msg_name = const_cast<sockaddr*>(to);
  m.msg_namelen = to ? to_len : 0;
  m.msg_iov = &one;
  m.msg_iovlen = 1;
  return send_message(m, fd, flags, "sendto");
}

SPINDLE_HOOK ssize_t sendmsg(int fd, const msghdr* m, int flags) {
  if (!parking_runtime()) return libc().sendmsg(fd, m, flags);
  return send_message(*m, fd, flags, "sendmsg");
}

// _FORTIFY_SOURCE turns read/recv/recvfrom with a buffer of known size into these.
SPINDLE_HOOK ssize_t __read_chk(int fd, void* buf, size_t n, size_t buf_len) {
  if (n > buf_len) buffer_overflow();
  return read(fd, buf, n);
}

SPINDLE_HOOK ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buf_len, int flags) {
  if (n > buf_len) buffer_overflow();
  return recv(fd, buf, n, flags);
}

SPINDLE_HOOK ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buf_len, int flags,
                                    sockaddr* from, socklen_t* from_len) {
  if (n > buf_len) buffer_overflow();
  return recvfrom(fd, buf, n, flags, from, from_len);
}
