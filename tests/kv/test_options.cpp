// kv_server's command line: Redis's sizes with units, the defaults, and errors that name the flag
// and the value.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "options.hpp"

namespace {

kv::KvArgs parse(std::vector<std::string> args) {
  args.insert(args.begin(), "kv_server");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return kv::parse_kv_args(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_SUITE("kv.options") {
  TEST_CASE("sizes as Redis's memtoll reads them") {
    using kv::parse_memory_size;
    CHECK(parse_memory_size("0") == 0u);
    CHECK(parse_memory_size("1048576") == 1048576u);
    CHECK(parse_memory_size("12b") == 12u);
    CHECK(parse_memory_size("1k") == 1000u);
    CHECK(parse_memory_size("1kb") == 1024u);
    CHECK(parse_memory_size("2m") == 2'000'000u);
    CHECK(parse_memory_size("512mb") == 512u << 20);
    CHECK(parse_memory_size("512MB") == 512u << 20);
    CHECK(parse_memory_size("1g") == 1'000'000'000u);
    CHECK(parse_memory_size("1gb") == std::size_t{1} << 30);
    CHECK(parse_memory_size("3Gb") == std::size_t{3} << 30);
    for (const char* bad : {"", "gb", "-1", "1.5gb", "1tb", "1 gb", "1gbx", "+1",
                            "99999999999999999999", "17179869184gb"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_memory_size(bad));
    }
  }

  TEST_CASE("defaults, both flag forms, and errors naming the flag and the value") {
    kv::KvArgs d = parse({});
    CHECK(d.connection.query_buffer_limit == std::size_t{1} << 30);
    CHECK(d.connection.idle_timeout == std::chrono::seconds(0));
    CHECK(d.server.host == "127.0.0.1");

    kv::KvArgs a = parse({"--timeout", "30", "--client-query-buffer-limit=2gb", "--port", "7000"});
    CHECK(a.connection.idle_timeout == std::chrono::seconds(30));
    CHECK(a.connection.query_buffer_limit == std::size_t{2} << 30);
    CHECK(a.server.port == 7000);
    CHECK(parse({"--timeout=0"}).connection.idle_timeout == std::chrono::seconds(0));
    CHECK(parse({"--help"}).help);

    CHECK_THROWS_WITH_AS(parse({"--timeout", "abc"}),
                         "--timeout: 'abc' is not a number of seconds from 0 (never) to 2147483647",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(parse({"--timeout=-1"}),
                         "--timeout: '-1' is not a number of seconds from 0 (never) to 2147483647",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(parse({"--timeout"}), "--timeout needs a value", std::invalid_argument);
    CHECK_THROWS_WITH_AS(
        parse({"--client-query-buffer-limit", "lots"}),
        "--client-query-buffer-limit: 'lots' is not a size (e.g. 1gb, 512mb, 1048576)",
        std::invalid_argument);
    CHECK_THROWS_WITH_AS(
        parse({"--client-query-buffer-limit", "1000kb"}),
        "--client-query-buffer-limit: '1000kb' is below the minimum, 1mb (1048576 bytes)",
        std::invalid_argument);
    CHECK(parse({"--client-query-buffer-limit", "1mb"}).connection.query_buffer_limit == 1u << 20);
  }

}  // TEST_SUITE
