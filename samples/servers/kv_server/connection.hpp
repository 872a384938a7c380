#pragma once
// One kv_server connection: reads what is available, runs every complete command in it, answers
// the whole batch with one write. Returns at EOF, after QUIT or a protocol error (whose reply is
// sent first), when the peer resets the connection, and — closing it without a reply, as Redis
// does — when an unfinished command outgrows the query buffer limit or the idle timeout passes.
#include <chrono>
#include <cstddef>

#include "io/memory_stream.hpp"
#include "io/tcp.hpp"
#include "store.hpp"

namespace kv {

struct ConnectionOptions {
  // Redis's client-query-buffer-limit (default 1 GiB): the most bytes an unfinished command may
  // hold; past it the connection is closed. The buffer grows without touching its free space, so
  // an unfinished command costs about its own size in memory, not the doubled capacity.
  std::size_t query_buffer_limit = std::size_t{1} << 30;
  // Redis's timeout (0 = never, the default): the connection is closed once this long passes
  // without it completing a command. Unlike Redis, bytes of an unfinished command and a reply the
  // client does not read are not activity, so a client trickling a command byte by byte (slowloris)
  // or never reading its replies is cut too.
  std::chrono::seconds idle_timeout{0};
};

// Over a TcpStream (the server's) or a MemoryStream (testing::stream_pair, in tests).
template <class Stream>
void serve_connection(Stream stream, Store& store, const ConnectionOptions& options = {});

extern template void serve_connection(spindle::TcpStream, Store&, const ConnectionOptions&);
extern template void serve_connection(spindle::MemoryStream, Store&, const ConnectionOptions&);

}  // namespace kv
