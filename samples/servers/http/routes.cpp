#include "routes.hpp"

#include <charconv>
#include <string_view>

namespace httpd {

namespace http = boost::beast::http;

Response hello_routes(const Request& req) {
  Response res{http::status::ok, req.version()};
  res.set(http::field::server, "spindle");
  res.set(http::field::content_type, "text/plain");
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

}  // namespace httpd
