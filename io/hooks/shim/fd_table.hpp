#pragma once
// The shim's table of descriptors: what kind of file each number is, whether its owner made it
// non-blocking, its socket timeouts, and a generation that changes whenever the number is closed
// or reused (so the runtime never waits on a stale registration). Entries are made when a hooked
// call creates a descriptor, and on first sight for the others (inherited, made by code the hooks
// do not see): fstat, F_GETFL and SO_TYPE once. dup'd numbers share their file's state, as the
// kernel shares the open file description. Any thread.
//
// The shim never sets O_NONBLOCK underneath (sockets are tried with MSG_DONTWAIT, pipes after a
// zero-timeout poll), so what F_GETFL shows is always the owner's own setting, and a child process
// inherits descriptors exactly as the program made them.
#include <cstdint>

namespace spindle::hooks {

enum class FdKind : std::uint8_t {
  stream_socket,  // SOCK_STREAM, SOCK_SEQPACKET: a write writes all
  other_socket,   // datagrams, raw
  pollable,       // pipes, FIFOs, terminals, character devices, eventfd and other anonymous files
  never_parks,    // regular files, directories, block devices, bad descriptors: plain libc
};

struct FdInfo {
  FdKind kind = FdKind::never_parks;
  bool nonblocking = false;           // its owner set O_NONBLOCK: EAGAIN as the kernel gives it
  std::int64_t receive_timeout = 0;   // SO_RCVTIMEO in ns; 0 = forever
  std::int64_t send_timeout = 0;      // SO_SNDTIMEO in ns; 0 = forever
  std::uint64_t gen = 0;

  bool may_park() const { return kind != FdKind::never_parks && !nonblocking; }
  bool socket() const { return kind == FdKind::stream_socket || kind == FdKind::other_socket; }
};

// What a hooked call about to park needs to know of `fd`.
FdInfo fd_info(int fd);
// A hooked call created `fd`.
void fd_created(int fd, FdKind kind, bool nonblocking);
// `to` now refers to `from`'s file (dup, dup2, dup3, F_DUPFD).
void fd_duplicated(int from, int to);
// `fd` is being closed; returns the generation that ends (0 if the table never saw it).
std::uint64_t fd_closing(int fd);
void fd_set_nonblocking(int fd, bool on);
// optname: SO_RCVTIMEO or SO_SNDTIMEO.
void fd_set_timeout(int fd, int optname, std::int64_t ns);

}  // namespace spindle::hooks
