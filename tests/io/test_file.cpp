// Files: read_file / write_file and File's positional reads and writes, through io_uring (where
// built in and allowed) and through the worker pool.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <string>
#include <thread>

#include "../support.hpp"
#include "io/file.hpp"

#if defined(BOOST_ASIO_HAS_IO_URING)
#include <liburing.h>
#endif

using namespace std::chrono_literals;

namespace {

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/spindle-file-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 977) & 0xff);
  return s;
}

// Whether this build has io_uring for files and this kernel lets a process set up a ring.
bool io_uring_expected() {
#if defined(BOOST_ASIO_HAS_IO_URING)
  io_uring ring;
  if (::io_uring_queue_init(4, &ring, 0) != 0) return false;
  ::io_uring_queue_exit(&ring);
  return true;
#else
  return false;
#endif
}

// Runs `body(ring)` once per File backend: ring = true expects io_uring where io_uring_expected(),
// ring = false forces the worker pool (SPINDLE_IO_URING=off).
template <class Body>
void for_each_backend(Body body) {
  for (const bool ring : {true, false}) {
    CAPTURE(ring);
    struct Env {
      explicit Env(bool ring) {
        if (!ring) ::setenv("SPINDLE_IO_URING", "off", 1);
      }
      ~Env() { ::unsetenv("SPINDLE_IO_URING"); }
    } env(ring);
    body(ring && io_uring_expected());
  }
}

// Makes io_uring_setup fail with EPERM in the calling thread (and threads it starts), as the
// seccomp profiles of Docker and containerd do. x86-64 system call numbers (the filter does not
// check the architecture: a test helper, not a sandbox).
void refuse_io_uring_in_this_thread() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
  REQUIRE(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
  REQUIRE(::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0);
}

}  // namespace

TEST_SUITE("file") {

TEST_CASE("write_file then read_file: the same bytes, NULs included; write_file truncates") {
  TempDir dir;
  spindle::run([&] {
    const std::string bytes("a\0b\nc\xff", 6);
    spindle::write_file(dir / "x", bytes);
    CHECK(spindle::read_file(dir / "x") == bytes);
    spindle::write_file(dir / "x", "short");
    CHECK(spindle::read_file(dir / "x") == "short");
    spindle::write_file(dir / "empty", "");
    CHECK(spindle::read_file(dir / "empty") == "");
  });
}

TEST_CASE("read_file of a file without a size (/proc) reads it all") {
  spindle::run([] {
    const std::string status = spindle::read_file("/proc/self/status");
    CHECK(status.find("Name:") == 0);
    CHECK(status.back() == '\n');
  });
}

TEST_CASE("File: write_at and read_at at offsets, size, resize, end of file") {
  TempDir dir;
  for_each_backend([&](bool ring) {
  spindle::run([&] {
    using spindle::OpenMode;
    auto f = spindle::File::open(dir / "f", OpenMode::read_write | OpenMode::create | OpenMode::truncate);
    CHECK(f.is_open());
    CHECK(f.uses_io_uring() == ring);
    CHECK(f.path() == dir / "f");
    CHECK(f.size() == 0);
    f.write_at(0, "hello");
    f.write_at(10, "world");
    CHECK(f.size() == 15);
    CHECK(f.read_at(0, 15) == std::string("hello\0\0\0\0\0world", 15));
    CHECK(f.read_at(13, 100) == "ld");
    CHECK(f.read_at(100, 10) == "");
    f.write_at(2, "LL");
    char buf[5];
    CHECK(f.read_at(0, boost::asio::buffer(buf)) == 5);
    CHECK(std::string(buf, 5) == "heLLo");
    f.resize(4);
    CHECK(f.size() == 4);
    f.sync();
    f.close();
    f.close();
    CHECK(!f.is_open());
    CHECK(spindle::read_file(dir / "f") == "heLL");
    try {
      f.read_at(0, 1);
      FAIL("read_at on a closed file did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code().value() == EBADF);
    }

    auto r = spindle::File::open(dir / "f");  // read_only by default
    CHECK(r.read_at(1, 2) == "eL");
    CHECK_THROWS_AS(r.write_at(0, "x"), boost::system::system_error);  // EBADF: not open for writing
    spindle::File moved = std::move(r);
    CHECK(moved.read_at(0, 4) == "heLL");
    CHECK(moved.uses_io_uring() == ring);
    CHECK(!r.is_open());
    CHECK(!r.uses_io_uring());
  });
  });
}

TEST_CASE("a missing file: system_error ENOENT naming the path") {
  TempDir dir;
  spindle::run([&] {
    const std::string missing = dir / "missing";
    try {
      spindle::read_file(missing);
      FAIL("read_file did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code().value() == ENOENT);
      CHECK(e.code() == boost::system::errc::no_such_file_or_directory);
      CHECK(std::string(e.what()).find(missing) != std::string::npos);
    }
    try {
      spindle::File::open(missing);
      FAIL("File::open did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code().value() == ENOENT);
    }
    CHECK_THROWS_AS(spindle::write_file(dir / "no-dir/x", "x"), boost::system::system_error);
  });
}

TEST_CASE("open modes: exclusive create, append, and a mode without access → invalid_argument") {
  TempDir dir;
  for_each_backend([&](bool) {
  spindle::run([&] {
    using spindle::OpenMode;
    spindle::write_file(dir / "e", "abc");
    try {
      spindle::File::open(dir / "e", OpenMode::write_only | OpenMode::create | OpenMode::exclusive);
      FAIL("exclusive create of an existing file did not throw");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code().value() == EEXIST);
    }
    {
      auto a = spindle::File::open(dir / "e", OpenMode::write_only | OpenMode::append);
      a.write_at(0, "def");  // append: the offset is ignored
    }
    CHECK(spindle::read_file(dir / "e") == "abcdef");
    CHECK_THROWS_AS(spindle::File::open(dir / "e", OpenMode::create), std::invalid_argument);
    CHECK_THROWS_AS(spindle::File::open(dir / "e", OpenMode::read_only | OpenMode::write_only),
                    std::invalid_argument);
  });
  });
}

TEST_CASE("an 8 MB file: write_file / read_file and block-wise read_at, byte-exact") {
  TempDir dir;
  const std::string big = pattern(8 * 1024 * 1024);
  for_each_backend([&](bool ring) {
  spindle::run([&] {
    spindle::write_file(dir / "big", big);
    CHECK(spindle::read_file(dir / "big") == big);

    auto f = spindle::File::open(dir / "big");
    CHECK(f.uses_io_uring() == ring);
    CHECK(f.size() == big.size());
    std::string back(big.size(), '\0');
    constexpr std::size_t kBlock = 1 << 20;
    for (std::size_t off = 0; off < big.size(); off += kBlock) {
      CHECK(f.read_at(off, boost::asio::buffer(back.data() + off, kBlock)) == kBlock);
    }
    CHECK(back == big);
    // Written back block-wise through write_at, read back whole.
    auto w = spindle::File::open(dir / "copy", spindle::OpenMode::write_only | spindle::OpenMode::create);
    for (std::size_t off = 0; off < big.size(); off += kBlock) {
      w.write_at(off, boost::asio::buffer(big.data() + off, kBlock));
    }
    w.close();
    CHECK(spindle::read_file(dir / "copy") == big);
  });
  });
}

TEST_CASE("file calls park only the calling fiber; concurrent read_at on one File") {
  TempDir dir;
  for_each_backend([&](bool) {
  spindle::run([&] {
    spindle::write_file(dir / "c", pattern(1 << 16));
    auto f = spindle::File::open(dir / "c");
    auto a = spindle::spawn([&] { return f.read_at(0, 1 << 15); });
    auto b = spindle::spawn([&] { return f.read_at(1 << 15, 1 << 15); });
    CHECK(a.get() + b.get() == pattern(1 << 16));
  });
  });
}

TEST_CASE("where io_uring_setup is refused (seccomp), files fall back to the worker pool and work") {
  TempDir dir;
  spindle_test::LogCapture log;
  bool fell_back = false;
  std::string back;
  // The filter applies to this thread only (its own loop); the rest of the test process keeps
  // io_uring.
  std::thread refused([&] {
    refuse_io_uring_in_this_thread();
    spindle::run([&] {
      using spindle::OpenMode;
      auto f = spindle::File::open(dir / "r", OpenMode::read_write | OpenMode::create);
      auto g = spindle::File::open(dir / "r");  // the loop does not try again
      fell_back = !f.uses_io_uring() && !g.uses_io_uring();
      f.write_at(0, "through the pool");
      back = g.read_at(0, 100);
    });
  });
  refused.join();
  CHECK(fell_back);
  CHECK(back == "through the pool");
#if defined(BOOST_ASIO_HAS_IO_URING)
  CHECK(log.count("io_uring unavailable (io_uring_queue_init: Operation not permitted") == 1);
#else
  CHECK(log.count("io_uring unavailable") == 0);  // built without it: nothing to fall back from
#endif
}

TEST_CASE("an io_uring read that waits (a FIFO) is cancelled by a timeout, leaving no fd") {
  if (!io_uring_expected()) return;  // the pool cannot cancel a blocked read(2): io_uring only
  TempDir dir;
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  const std::size_t fds_before = spindle_test::open_fd_count();
  spindle::run(
      spindle_test::io_virtual(), [&] {
        // read_write: opening a FIFO for reading alone would wait for a writer.
        auto f = spindle::File::open(dir / "fifo", spindle::OpenMode::read_write);
        REQUIRE(f.uses_io_uring());
        const auto t0 = spindle::now();
        CHECK_THROWS_AS(spindle::timeout(1s, [&] { return f.read_at(0, 10); }), spindle::TimeoutError);
        CHECK(spindle::now() - t0 == 1s);
        f.write_at(0, "late");  // the file still works after the cancelled read
        CHECK(f.read_at(0, 4) == "late");
      });
  CHECK(spindle_test::open_fd_count() == fds_before);
}

}  // TEST_SUITE
