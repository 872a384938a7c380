#include "io/hooks/shim/libc.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace spindle::hooks {
namespace {

template <class Fn>
void find(Fn& fn, const char* name) {
  fn = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
  if (!fn) {
    std::fprintf(stderr, "spindle-hooks: libc has no %s (dlsym: %s)\n", name, dlerror());
    std::abort();
  }
}

Libc look_up() {
  Libc c{};
  find(c.read, "read");
  find(c.write, "write");
  find(c.readv, "readv");
  find(c.writev, "writev");
  find(c.recv, "recv");
  find(c.recvfrom, "recvfrom");
  find(c.recvmsg, "recvmsg");
  find(c.send, "send");
  find(c.sendto, "sendto");
  find(c.sendmsg, "sendmsg");
  find(c.socket, "socket");
  find(c.socketpair, "socketpair");
  find(c.connect, "connect");
  find(c.accept, "accept");
  find(c.accept4, "accept4");
  find(c.pipe, "pipe");
  find(c.pipe2, "pipe2");
  find(c.close, "close");
  find(c.dup, "dup");
  find(c.dup2, "dup2");
  find(c.dup3, "dup3");
  find(c.fcntl, "fcntl");
  find(c.fcntl64, "fcntl64");
  find(c.ioctl, "ioctl");
  find(c.setsockopt, "setsockopt");
  find(c.poll, "poll");
  find(c.ppoll, "ppoll");
  find(c.select, "select");
  find(c.sleep, "sleep");
  find(c.usleep, "usleep");
  find(c.nanosleep, "nanosleep");
  find(c.clock_nanosleep, "clock_nanosleep");
  find(c.getaddrinfo, "getaddrinfo");
  find(c.gethostbyname, "gethostbyname");
  find(c.gethostbyname_r, "gethostbyname_r");
  return c;
}

}  // namespace

LibcTable g_libc;

void find_libc() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    g_libc.fns = look_up();
    g_libc.ready.store(true, std::memory_order_release);
  });
}

}  // namespace spindle::hooks
