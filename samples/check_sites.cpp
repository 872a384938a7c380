// 001 异步 with (aiohttp): check whether web sites are up, all at once. The HTTP client is Boost.Beast
// over spindle::use_fiber: Beast's asynchronous operations, written as blocking calls in fibers.
//
// Without arguments the three sites of the material are checked against a local stand-in server
// (like curl's --connect-to: the requests name the real hosts, the connections go to 127.0.0.1),
// which answers them in the order the material's output shows. With arguments, each is fetched
// for real: `check_sites http://example.com/ http://localhost:8080/` (plain HTTP only: the sample
// links no TLS).
#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <spindle.hpp>

#include "common/registry.hpp"

namespace {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

struct Url {
  std::string host, port = "80", target = "/";
};

// http://host[:port][/path]; anything else → invalid_argument naming the URL.
Url parse_url(const std::string& url) {
  if (url.starts_with("https://")) throw std::invalid_argument("https needs TLS, which this sample does not link");
  if (!url.starts_with("http://")) throw std::invalid_argument("not an http:// URL");
  Url u;
  std::string rest = url.substr(7);
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    u.target = rest.substr(slash);
    rest.resize(slash);
  }
  if (auto colon = rest.find(':'); colon != std::string::npos) {
    u.port = rest.substr(colon + 1);
    rest.resize(colon);
  }
  u.host = rest;
  return u;
}

// GET url (connecting to `connect_to` host:port if given) → the response's status code.
unsigned get_status(const std::string& url, const std::optional<tcp::endpoint>& connect_to) {
  const Url u = parse_url(url);
  tcp::socket socket(spindle::this_loop().io_context());
  if (connect_to) {
    socket.async_connect(*connect_to, spindle::use_fiber.named("connect"));
  } else {
    boost::asio::async_connect(socket, spindle::resolve(u.host, u.port), spindle::use_fiber.named("connect"));
  }
  http::request<http::empty_body> req{http::verb::get, u.target, 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "spindle check_sites");
  http::async_write(socket, req, spindle::use_fiber.named("send request"));
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::async_read(socket, buffer, res, spindle::use_fiber.named("read response"));
  return res.result_int();
}

void check(const std::string& url, const std::optional<tcp::endpoint>& connect_to) {
  try {
    const unsigned status = get_status(url, connect_to);
    std::cout << url << ": status -> " << status << '\n';
  } catch (const std::exception& e) {
    std::cout << url << ": error -> " << e.what() << '\n';
  }
}

// The stand-in for the three sites: answers www.python.org after 100 ms, pycoders.com after 200 ms
// and realpython.com after 300 ms (the material's network latency, which decides its order).
spindle::Server start_stand_in() {
  static const std::vector<std::string> answer_order = {"www.python.org", "pycoders.com", "realpython.com"};
  return spindle::start_server("127.0.0.1", 0, [](spindle::TcpStream s) {
    boost::beast::flat_buffer buffer;
    http::request<http::empty_body> req;
    http::read(s, buffer, req);
    const std::string host(req[http::field::host]);
    const auto i = std::find(answer_order.begin(), answer_order.end(), host) - answer_order.begin();
    http::response<http::string_body> res{http::status::ok, 11};
    if (i == static_cast<std::ptrdiff_t>(answer_order.size())) res.result(http::status::not_found);
    spindle::sleep(std::chrono::milliseconds(100 * (i + 1)));
    res.body() = "stand-in for " + host;
    res.prepare_payload();
    http::write(s, res);
  });
}

}  // namespace

SPINDLE_SAMPLE(check_sites, "001 异步 with: check_sites (aiohttp → Boost.Beast over use_fiber)") {
  if (!options.args.empty()) {
    std::vector<spindle::Task<void>> checks;
    for (const auto& url : options.args) checks.push_back(spindle::spawn(check, url, std::nullopt));
    spindle::gather(checks);
    return;
  }
  std::cout << "(no URLs given: a local stand-in server answers for the three sites)\n";
  auto server = start_stand_in();
  const tcp::endpoint local(boost::asio::ip::make_address("127.0.0.1"), server.port());
  const std::vector<std::string> websites = {"http://realpython.com", "http://pycoders.com", "http://www.python.org"};
  std::vector<spindle::Task<void>> checks;
  for (const auto& url : websites) checks.push_back(spindle::spawn(check, url, local));
  spindle::gather(checks);
  server.close();
  server.wait_closed();
}
