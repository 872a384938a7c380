// Files: read_file / write_file and File's positional reads and writes.
#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "../support.hpp"
#include "io/file.hpp"

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
  spindle::run([&] {
    using spindle::OpenMode;
    auto f = spindle::File::open(dir / "f", OpenMode::read_write | OpenMode::create | OpenMode::truncate);
    CHECK(f.is_open());
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
    CHECK(!r.is_open());
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
}

TEST_CASE("an 8 MB file: write_file / read_file and block-wise read_at, byte-exact") {
  TempDir dir;
  const std::string big = pattern(8 * 1024 * 1024);
  spindle::run([&] {
    spindle::write_file(dir / "big", big);
    CHECK(spindle::read_file(dir / "big") == big);

    auto f = spindle::File::open(dir / "big");
    CHECK(f.size() == big.size());
    std::string back(big.size(), '\0');
    constexpr std::size_t kBlock = 1 << 20;
    for (std::size_t off = 0; off < big.size(); off += kBlock) {
      CHECK(f.read_at(off, boost::asio::buffer(back.data() + off, kBlock)) == kBlock);
    }
    CHECK(back == big);
  });
}

TEST_CASE("file calls park only the calling fiber; concurrent read_at on one File") {
  TempDir dir;
  spindle::run([&] {
    spindle::write_file(dir / "c", pattern(1 << 16));
    auto f = spindle::File::open(dir / "c");
    auto a = spindle::spawn([&] { return f.read_at(0, 1 << 15); });
    auto b = spindle::spawn([&] { return f.read_at(1 << 15, 1 << 15); });
    CHECK(a.get() + b.get() == pattern(1 << 16));
  });
}

}  // TEST_SUITE
