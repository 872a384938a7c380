#include "io/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/system/system_error.hpp>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "io/thread_pool.hpp"

#if defined(BOOST_ASIO_HAS_IO_URING)
#include <boost/asio/random_access_file.hpp>
#include <boost/asio/read_at.hpp>
#include <boost/asio/write_at.hpp>

#include "io/use_fiber.hpp"
#include "scheduler/detail/logger.hpp"
#include "scheduler/loop.hpp"
#endif

namespace spindle {

namespace {

using boost::system::error_code;
using boost::system::system_category;

[[noreturn]] void throw_os(int err, const char* op, const std::string& path) {
  std::string what = op;
  what += " \"";
  what += path;
  what += '"';
  throw boost::system::system_error(error_code(err, system_category()), what);
}

int open_flags(OpenMode mode) {
  const int access = int(has(mode, OpenMode::read_only)) + int(has(mode, OpenMode::write_only)) +
                     int(has(mode, OpenMode::read_write));
  if (access != 1) {
    throw std::invalid_argument("File::open: mode " + std::to_string(static_cast<unsigned>(mode)) +
                                " needs exactly one of read_only, write_only, read_write");
  }
  int flags = O_CLOEXEC;
  if (has(mode, OpenMode::read_only)) flags |= O_RDONLY;
  if (has(mode, OpenMode::write_only)) flags |= O_WRONLY;
  if (has(mode, OpenMode::read_write)) flags |= O_RDWR;
  if (has(mode, OpenMode::append)) flags |= O_APPEND;
  if (has(mode, OpenMode::create)) flags |= O_CREAT;
  if (has(mode, OpenMode::exclusive)) flags |= O_EXCL;
  if (has(mode, OpenMode::truncate)) flags |= O_TRUNC;
  return flags;
}

int open_or_throw(const std::string& path, int flags, const char* op) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0666);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw_os(errno, op, path);
  return fd;
}

// pread until `size` bytes or end of file; the count.
std::size_t pread_full(int fd, char* data, std::size_t size, std::uint64_t offset, const std::string& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, data + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os(errno, "read", path);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void pwrite_full(int fd, const char* data, std::size_t size, std::uint64_t offset, const std::string& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os(errno, "write", path);
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string read_file(const std::string& path) {
  return to_thread([&path] {
    const int fd = open_or_throw(path, O_RDONLY | O_CLOEXEC, "read_file");
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    std::size_t expected = 0;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) expected = static_cast<std::size_t>(st.st_size);
    // One byte more than the size, so a file that did not grow is read in one pass plus EOF; files
    // without a size (/proc, pipes) grow the buffer as they go.
    std::string data(expected + 1, '\0');
    std::size_t used = 0;
    for (;;) {
      if (used == data.size()) data.resize(data.size() * 2 + 4096);
      const ssize_t n = ::read(fd, data.data() + used, data.size() - used);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_os(errno, "read_file", path);
      }
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
    }
    data.resize(used);
    return data;
  });
}

void write_file(const std::string& path, std::string_view bytes) {
  to_thread([&] {
    const int fd = open_or_throw(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, "write_file");
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_os(errno, "write_file", path);
      }
      done += static_cast<std::size_t>(n);
    }
  });
}

#if defined(BOOST_ASIO_HAS_IO_URING)
// The io_uring of this thread's loop, as an Asio file bound to it, or nullopt where io_uring is
// refused (seccomp, the kernel.io_uring_disabled sysctl, old kernels: Asio throws from the first
// file object's construction, once per loop, then files use the pool) or SPINDLE_IO_URING=off.
std::optional<boost::asio::random_access_file> ring_file(const std::string& path) {
  thread_local bool refused = false;
  const char* env = std::getenv("SPINDLE_IO_URING");
  if (refused || (env != nullptr && std::string_view(env) == "off")) return std::nullopt;
  try {
    return std::optional<boost::asio::random_access_file>(std::in_place, this_loop().io_context());
  } catch (const boost::system::system_error& e) {
    refused = true;
    detail::logger().warn("File::open \"{}\": io_uring unavailable ({}); files use the worker pool",
                          path, e.what());
    return std::nullopt;
  }
}
#endif

// Invariant: fd >= 0 until close(); with calls in flight, close() only sets close_pending and the
// last call to return closes fd.
struct File::State {
  int fd = -1;
  std::string path;
  std::size_t in_flight = 0;
  bool close_pending = false;
#if defined(BOOST_ASIO_HAS_IO_URING)
  // Owns fd when set: read_at and write_at go through the opening loop's io_uring.
  std::optional<boost::asio::random_access_file> ring;
  // The ring serves only fibers of the loop that opened the file (its completions go there).
  boost::asio::random_access_file* ring_here() {
    return ring && &ring->get_executor().context() == &this_loop().io_context() ? &*ring : nullptr;
  }
#endif

  ~State() { close_now(); }
  void close_now() noexcept {
#if defined(BOOST_ASIO_HAS_IO_URING)
    if (ring) {
      boost::system::error_code ignored;
      ring->close(ignored);
      ring.reset();
      fd = -1;
    }
#endif
    if (fd >= 0) ::close(fd);
    fd = -1;
    close_pending = false;
  }
  // Runs f(), counted as in flight.
  template <class F>
  auto counted(F&& f) {
    ++in_flight;
    struct Done {
      State& s;
      ~Done() {
        if (--s.in_flight == 0 && s.close_pending) s.close_now();
      }
    } done{*this};
    return f();
  }
  // Runs f(fd) on the pool, counted as in flight.
  template <class F>
  auto call(F&& f) {
    return counted([&] { return to_thread(std::forward<F>(f), fd); });
  }
};

File::File(std::unique_ptr<State> s) : s_(std::move(s)) {}
File::File(File&& o) noexcept = default;
File& File::operator=(File&& o) noexcept {
  if (this != &o) {
    close();
    s_ = std::move(o.s_);
  }
  return *this;
}
File::~File() { close(); }

File File::open(const std::string& path, OpenMode mode) {
  const int flags = open_flags(mode);
  auto s = std::make_unique<State>();
  s->path = path;
  // Stored by the pool thread itself: if this fiber is cancelled meanwhile, to_thread drops the
  // result, and ~State closes the descriptor instead of leaking it.
  State& state = *s;
  to_thread([&] { state.fd = open_or_throw(path, flags, "File::open"); });
#if defined(BOOST_ASIO_HAS_IO_URING)
  if (auto ring = ring_file(path)) {
    ring->assign(state.fd);
    state.ring = std::move(ring);
  }
#endif
  return File(std::move(s));
}

bool File::uses_io_uring() const {
#if defined(BOOST_ASIO_HAS_IO_URING)
  return is_open() && s_->ring.has_value();
#else
  return false;
#endif
}

bool File::is_open() const { return s_ && s_->fd >= 0 && !s_->close_pending; }
const std::string& File::path() const {
  static const std::string kNone;
  return s_ ? s_->path : kNone;
}

File::State& File::checked(const char* op) const {
  if (!is_open()) {
    std::string what = "File::";
    what += op;
    what += ": the file is not open";
    throw boost::system::system_error(error_code(EBADF, system_category()), what);
  }
  return *s_;
}

void File::close() noexcept {
  if (!s_ || s_->fd < 0) return;
  if (s_->in_flight > 0) s_->close_pending = true; else s_->close_now();
}

std::size_t File::read_at(std::uint64_t offset, boost::asio::mutable_buffer out) {
  State& s = checked("read_at");
#if defined(BOOST_ASIO_HAS_IO_URING)
  if (auto* ring = s.ring_here()) {
    return s.counted([&] {
      boost::system::error_code ec;
      const std::size_t n = boost::asio::async_read_at(*ring, offset, out, use_fiber[ec]);
      if (ec && ec != boost::asio::error::eof) throw_os(ec.value(), "read", s.path);
      return n;
    });
  }
#endif
  return s.call([&](int fd) {
    return pread_full(fd, static_cast<char*>(out.data()), out.size(), offset, s.path);
  });
}

std::string File::read_at(std::uint64_t offset, std::size_t max) {
  std::string data(max, '\0');
  data.resize(read_at(offset, boost::asio::buffer(data)));
  return data;
}

void File::write_at(std::uint64_t offset, std::string_view bytes) {
  write_at(offset, boost::asio::buffer(bytes));
}

void File::write_at(std::uint64_t offset, boost::asio::const_buffer bytes) {
  State& s = checked("write_at");
#if defined(BOOST_ASIO_HAS_IO_URING)
  if (auto* ring = s.ring_here()) {
    return s.counted([&] {
      boost::system::error_code ec;
      boost::asio::async_write_at(*ring, offset, bytes, use_fiber[ec]);
      if (ec) throw_os(ec.value(), "write", s.path);
    });
  }
#endif
  s.call([&](int fd) {
    pwrite_full(fd, static_cast<const char*>(bytes.data()), bytes.size(), offset, s.path);
  });
}

std::uint64_t File::size() {
  State& s = checked("size");
  return s.call([&](int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_os(errno, "File::size", s.path);
    return static_cast<std::uint64_t>(st.st_size);
  });
}

void File::resize(std::uint64_t size) {
  State& s = checked("resize");
  s.call([&](int fd) {
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) throw_os(errno, "File::resize", s.path);
  });
}

void File::sync() {
  State& s = checked("sync");
  s.call([&](int fd) {
    if (::fsync(fd) != 0) throw_os(errno, "File::sync", s.path);
  });
}

}  // namespace spindle
