#pragma once
// The accept loop shared by TcpListener and UnixListener: the acceptor is non-blocking, so accept()
// is tried first and the fiber parks on readiness only when nothing is queued. Connections the
// peer aborted before accept are skipped; any other error throws system_error naming the listener
// ("accept 127.0.0.1:8080: Too many open files"); after close() the parked wait ends with
// operation_aborted.
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include "io/errors.hpp"
#include "io/use_fiber.hpp"

namespace spindle::detail {

void io_checkpoint();

template <class Acceptor>
typename Acceptor::protocol_type::socket accept_socket(Acceptor& acceptor, const char* what) {
  io_checkpoint();
  for (;;) {
    boost::system::error_code ec;
    auto socket = acceptor.accept(ec);
    if (!ec) return socket;
    if (ec == boost::asio::error::would_block) {
      acceptor.async_wait(Acceptor::wait_read, use_fiber.named(what));
    } else if (ec != boost::asio::error::connection_aborted) {
      boost::system::error_code ignored;
      throw_io_error(ec, "accept", endpoint_text(acceptor.local_endpoint(ignored)));
    }
  }
}

}  // namespace spindle::detail
