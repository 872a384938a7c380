// http_server: HTTP/1.1 with keep-alive, Boost.Beast's parser and serializer, one fiber per
// connection. Beast's synchronous http::read/http::write run on the TcpStream directly: in a fiber
// they park instead of blocking. Routes: `/` → "Hello, World!", `/delay/<ms>` → the same after
// sleeping that long (an in-flight request for graceful-shutdown checks), anything else → 404.
//   build/samples/servers/http_server --port 8080 &  curl -s localhost:8080/   wrk -c100 -d5s ...
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <spindle.hpp>

#include "serve.hpp"

namespace http = boost::beast::http;

namespace {

http::response<http::string_body> respond(const http::request<http::string_body>& req) {
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.set(http::field::server, "spindle");
  res.set(http::field::content_type, "text/plain");
  res.keep_alive(req.keep_alive());
  std::string_view target = req.target();
  if (target.starts_with("/delay/")) {
    unsigned ms = 0;
    target.remove_prefix(7);
    std::from_chars(target.data(), target.data() + target.size(), ms);
    spindle::sleep(std::chrono::milliseconds(ms));
    target = "/";
  }
  if (target == "/") {
    res.body() = "Hello, World!";
  } else {
    res.result(http::status::not_found);
    res.body() = "not found";
  }
  res.prepare_payload();
  return res;
}

void serve_http(spindle::TcpStream s) {
  s.set_nodelay();
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(s, buffer, req, ec);
    if (ec == http::error::end_of_stream) return;  // the client closed between requests
    if (ec) throw boost::system::system_error(ec);
    const auto res = respond(req);
    http::write(s, res);
    if (!res.keep_alive()) return s.shutdown_write();
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = samples::parse_server_args(argc, argv);
  spindle::run([&] {
    auto server = spindle::start_server(args.host, args.port, serve_http);
    samples::serve_until_signal(server, args);
  });
}
