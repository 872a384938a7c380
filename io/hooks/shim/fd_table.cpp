#include "io/hooks/shim/fd_table.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <array>
#include <utility>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "io/hooks/shim/libc.hpp"

namespace spindle::hooks {
namespace {

// What the kernel keeps per open file description, as far as the hooks care.
struct File {
  FdKind kind;
  bool nonblocking;
  std::int64_t receive_timeout = 0;
  std::int64_t send_timeout = 0;
};

struct Entry {
  std::shared_ptr<File> file;  // null: not seen yet (or closed)
  std::uint64_t gen = 0;
};

// Numbers up to 2^20 (Linux's default hard limit on open files), in chunks made on first use;
// numbers beyond are never parked on (plain libc).
constexpr int kChunkBits = 12;
constexpr int kChunks = 256;
constexpr int kMaxFd = kChunks << kChunkBits;
struct Chunk {
  std::array<Entry, 1 << kChunkBits> entries;
};

class Table {
 public:
  // The entry of `fd`, with its stripe locked; nullptr beyond kMaxFd or below 0.
  template <class F>
  auto with(int fd, F&& f) {
    using R = decltype(f(std::declval<Entry&>()));
    if (fd < 0 || fd >= kMaxFd) return R();
    Chunk* c = chunk(fd >> kChunkBits);
    std::lock_guard lock(stripes_[fd % kStripes]);
    return f(c->entries[fd & ((1 << kChunkBits) - 1)]);
  }
  std::uint64_t next_gen() { return gens_.fetch_add(1, std::memory_order_relaxed) + 1; }

 private:
  Chunk* chunk(int i) {
    Chunk* c = chunks_[i].load(std::memory_order_acquire);
    if (c) return c;
    auto* made = new Chunk;
    if (chunks_[i].compare_exchange_strong(c, made, std::memory_order_acq_rel)) return made;
    delete made;  // another thread made it first
    return c;
  }

  static constexpr int kStripes = 64;
  std::array<std::atomic<Chunk*>, kChunks> chunks_{};
  std::array<std::mutex, kStripes> stripes_;
  std::atomic<std::uint64_t> gens_{0};
};

// Set while this thread is inside the table: a sanitizer's own check run from here (UBSan's
// vptr check tests memory with a pipe) makes hooked calls that must not come back in.
constinit thread_local bool t_inside = false;

class Inside {
 public:
  Inside() : first_(!t_inside) { t_inside = true; }
  ~Inside() {
    if (first_) t_inside = false;
  }
  bool nested() const { return !first_; }

 private:
  bool first_;
};

// Never destroyed: hooked calls may come from other threads while the process exits.
Table& table() {
  static Table* t = new Table;
  return *t;
}

std::int64_t timeout_of(int fd, int optname) {
  timeval tv{};
  socklen_t len = sizeof tv;
  if (getsockopt(fd, SOL_SOCKET, optname, &tv, &len) != 0) return 0;
  return static_cast<std::int64_t>(tv.tv_sec) * 1'000'000'000 + tv.tv_usec * 1'000;
}

// What a descriptor the hooks did not create is, looked at once.
std::shared_ptr<File> probe(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return nullptr;  // a bad descriptor: libc reports it
  FdKind kind = FdKind::never_parks;
  std::pair<std::int64_t, std::int64_t> timeouts{0, 0};
  if (S_ISSOCK(st.st_mode)) {
    int type = 0;
    socklen_t len = sizeof type;
    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
    kind = type == SOCK_STREAM || type == SOCK_SEQPACKET ? FdKind::stream_socket
                                                         : FdKind::other_socket;
    timeouts = {timeout_of(fd, SO_RCVTIMEO), timeout_of(fd, SO_SNDTIMEO)};
  } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || (st.st_mode & S_IFMT) == 0) {
    kind = FdKind::pollable;  // (no type bits: an anonymous file such as an eventfd or timerfd)
  }
  const int flags = libc().fcntl(fd, F_GETFL);
  return std::make_shared<File>(
      File{kind, flags >= 0 && (flags & O_NONBLOCK) != 0, timeouts.first, timeouts.second});
}

FdInfo info_of(const Entry& e) {
  const File& f = *e.file;
  return FdInfo{f.kind, f.nonblocking, f.receive_timeout, f.send_timeout, e.gen};
}

}  // namespace

FdInfo fd_info(int fd) {
  const Inside inside;
  if (inside.nested()) return FdInfo{};
  Table& t = table();
  if (auto seen = t.with(fd, [](Entry& e) { return e.file ? std::optional(info_of(e)) : std::nullopt; })) {
    return *seen;
  }
  std::shared_ptr<File> file = probe(fd);
  if (!file) return FdInfo{};  // never_parks
  const std::uint64_t gen = t.next_gen();
  return t.with(fd, [&](Entry& e) {
    if (!e.file) {  // else another thread looked first
      e.file = std::move(file);
      e.gen = gen;
    }
    return info_of(e);
  });
}

void fd_created(int fd, FdKind kind, bool nonblocking) {
  const Inside inside;
  if (inside.nested()) return;
  Table& t = table();
  auto file = std::make_shared<File>(File{kind, nonblocking});
  const std::uint64_t gen = t.next_gen();
  t.with(fd, [&](Entry& e) {
    e.file = std::move(file);
    e.gen = gen;
  });
}

void fd_duplicated(int from, int to) {
  const Inside inside;
  if (inside.nested()) return;
  Table& t = table();
  std::shared_ptr<File> file = t.with(from, [](Entry& e) { return e.file; });
  const std::uint64_t gen = t.next_gen();
  t.with(to, [&](Entry& e) {
    e.file = std::move(file);  // null if `from` was never seen: `to` is probed on first use
    e.gen = gen;
  });
}

std::uint64_t fd_closing(int fd) {
  const Inside inside;
  if (inside.nested()) return 0;
  return table().with(fd, [](Entry& e) {
    const std::uint64_t ended = e.file ? e.gen : 0;
    e.file.reset();
    return ended;
  });
}

void fd_set_nonblocking(int fd, bool on) {
  const Inside inside;
  if (inside.nested()) return;
  table().with(fd, [on](Entry& e) {
    if (e.file) e.file->nonblocking = on;
  });
}

void fd_set_timeout(int fd, int optname, std::int64_t ns) {
  const Inside inside;
  if (inside.nested()) return;
  table().with(fd, [optname, ns](Entry& e) {
    if (!e.file) return;
    (optname == SO_RCVTIMEO ? e.file->receive_timeout : e.file->send_timeout) = ns;
  });
}

}  // namespace spindle::hooks
