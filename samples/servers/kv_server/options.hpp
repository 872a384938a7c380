#pragma once
// kv_server's command line: the shared --host H / --port N (serve.hpp) and two of Redis's
// settings, under Redis's names and with Redis's defaults and units:
//   --timeout N                        close a connection that completes no command for N seconds
//                                      (0 = never, the default; see connection.hpp)
//   --client-query-buffer-limit SIZE   the most bytes one unfinished command may hold before the
//                                      connection is closed (default 1gb, at least 1mb)
//   --help
// Each also takes the --name=value form. SIZE is Redis's: digits and an optional unit, any case:
// b, k = 1000, kb = 1024, m = 10^6, mb = 2^20, g = 10^9, gb = 2^30.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "connection.hpp"
#include "serve.hpp"

namespace kv {

struct KvArgs {
  samples::ServerArgs server;
  ConnectionOptions connection;
  bool help = false;  // --help: print usage() and exit 0
};

// Throws std::invalid_argument naming the flag and the value (e.g. "--timeout: 'abc' is not a
// number of seconds (0 = never)"); --host/--port errors exit(2) as parse_server_args does.
KvArgs parse_kv_args(int argc, char** argv);

std::string usage(std::string_view program);

// Redis's memtoll: "1gb" → 1073741824, "512mb", "100k", "42"; nullopt if not a size or too large.
std::optional<std::size_t> parse_memory_size(std::string_view text);

}  // namespace kv
