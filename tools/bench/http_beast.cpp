// HTTP/1.1 "hello" peer: Boost.Beast on raw Asio callbacks, one thread, io_context(1). Keep-alive;
// every request gets `200 OK`, `Content-Type: text/plain`, body `hello`. The session is the shape
// of Beast's http_server_async example, on a plain tcp::socket (no tcp_stream timeouts).
//   http_beast [--host H] [--port N]
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>

#include "io_common.hpp"

namespace {

using namespace iobench;
namespace beast = boost::beast;
namespace http = beast::http;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket s) : socket_(std::move(s)) {}

  void read() {
    req_ = {};
    http::async_read(socket_, buffer_, req_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->respond();
                     });
  }

 private:
  void respond() {
    res_ = {http::status::ok, req_.version()};
    res_.set(http::field::content_type, "text/plain");
    res_.keep_alive(req_.keep_alive());
    res_.body() = "hello";
    res_.prepare_payload();
    http::async_write(socket_, res_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (!ec && self->res_.keep_alive()) self->read();
                      });
  }

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

}  // namespace

int main(int argc, char** argv) { return run_callback_server<Session>(argc, argv); }
