#pragma once
// One kv_server connection: reads what is available, runs every complete command in it, answers
// the whole batch with one write. Returns at EOF, after QUIT or a protocol error (whose reply is
// sent first), or when the peer resets the connection.
#include "io/tcp.hpp"
#include "store.hpp"

namespace kv {

void serve_connection(spindle::TcpStream stream, Store& store);

}  // namespace kv
