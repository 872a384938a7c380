#pragma once
// Files (aiofiles): whole-file helpers and File with positional reads and writes. Every call parks
// only the calling fiber.
//
//   std::string text = spindle::read_file("config.toml");
//   spindle::write_file("out.bin", bytes);
//   auto f = spindle::File::open("data", spindle::OpenMode::read_write | spindle::OpenMode::create);
//   f.write_at(4096, "abc");  std::size_t n = f.read_at(0, boost::asio::buffer(block));
//
// Where the work runs:
// - File::read_at / write_at go through io_uring (Asio's random_access_file on the loop's
//   io_context) when spindle was built with it (meson option io_uring, default auto: on when
//   liburing is installed) and the kernel allows it. Measured on the development machine, one 4 KiB
//   read of a page-cached file: io_uring ~3 µs, a worker-pool round trip several times that.
// - Everything else — open, size, resize, sync, read_file, write_file (open + read/write + close in
//   one trip) — runs on the worker pool (to_thread): Asio has no asynchronous open or fsync.
// - Fallback to the pool: where io_uring_setup is refused (container seccomp profiles, the
//   kernel.io_uring_disabled sysctl, old kernels) the first File::open of a loop logs a warning and
//   that loop's files use the pool; SPINDLE_IO_URING=off forces the pool; a File used from another
//   thread's loop than the one that opened it uses the pool for that call.
// Building with io_uring defines BOOST_ASIO_HAS_IO_URING for every user of spindle (pkg-config
// Cflags, the meson dependency): Asio's per-thread memory layout depends on it.
//
// Errors: boost::system::system_error with the OS error and the path (a missing file → ENOENT,
// errc::no_such_file_or_directory). Cancellation: a call on a pool thread is finished first, an
// io_uring operation is cancelled (or completes); then CancelledError is thrown — a cancelled
// write_at/write_file may have written.
#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spindle {

// The whole file's bytes.
std::string read_file(const std::string& path);
// Creates or truncates `path` (mode 0666 & ~umask) and writes `bytes`.
void write_file(const std::string& path, std::string_view bytes);

// How File::open opens: exactly one of read_only, write_only, read_write, plus any of the others
// (Asio's file_base::flags). append: every write goes to the end (write_at's offset is ignored).
enum class OpenMode : unsigned {
  read_only = 1,
  write_only = 2,
  read_write = 4,
  append = 8,
  create = 16,     // create if missing
  exclusive = 32,  // with create: fail (EEXIST) if it exists
  truncate = 64,   // empty it on open
};
constexpr OpenMode operator|(OpenMode a, OpenMode b) {
  return static_cast<OpenMode>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr bool has(OpenMode set, OpenMode flag) {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(flag)) != 0;
}

// An open file (close-on-exec). Move-only; the destructor closes it. One File may be used by
// several fibers at once (positional calls have no shared offset); close() while calls are still
// on pool threads closes the descriptor when the last of them returns.
class File {
 public:
  // A mode without exactly one of read_only/write_only/read_write → std::invalid_argument.
  static File open(const std::string& path, OpenMode mode = OpenMode::read_only);

  File() = default;
  File(File&& o) noexcept;
  File& operator=(File&& o) noexcept;
  ~File();

  // Reads at `offset` until `out` is full or the file ends: the count, less than the buffer's size
  // only at end of file (0 at or past it).
  std::size_t read_at(std::uint64_t offset, boost::asio::mutable_buffer out);
  // Up to `max` bytes at `offset` (fewer only at end of file).
  std::string read_at(std::uint64_t offset, std::size_t max);
  // Writes all of `bytes` at `offset` (extending the file if needed).
  void write_at(std::uint64_t offset, std::string_view bytes);
  void write_at(std::uint64_t offset, boost::asio::const_buffer bytes);
  std::uint64_t size();
  void resize(std::uint64_t size);
  void sync();  // fsync: data and metadata on disk
  bool is_open() const;
  // Whether read_at/write_at go through io_uring (see the top of this file); false once closed.
  bool uses_io_uring() const;
  const std::string& path() const;  // "" for a default-constructed or moved-from File
  // Idempotent, never throws, never parks.
  void close() noexcept;

 private:
  struct State;
  explicit File(std::unique_ptr<State> s);
  State& checked(const char* op) const;
  std::unique_ptr<State> s_;  // on the heap: a move leaves calls in flight undisturbed
};

}  // namespace spindle
