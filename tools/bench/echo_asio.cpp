// TCP echo peer: raw Boost.Asio callbacks, one thread, io_context(1). The session shape is Asio's
// own example (async_tcp_echo_server.cpp): read_some, write it all back, read again; the handlers
// keep the session alive through shared_from_this().
//   echo_asio [--host H] [--port N]
#include <array>
#include <memory>

#include "io_common.hpp"

namespace {

using namespace iobench;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket s) : socket_(std::move(s)) {}

  void read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](boost::system::error_code ec,
                                                        std::size_t n) {
                              if (!ec) self->write(n);
                            });
  }

 private:
  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(buf_, n),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }

  tcp::socket socket_;
  std::array<char, 4096> buf_;
};

}  // namespace

int main(int argc, char** argv) { return run_callback_server<Session>(argc, argv); }
