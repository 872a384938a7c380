#include "io/resolve.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>

#include "io/errors.hpp"
#include "io/thread_pool.hpp"

namespace spindle {

namespace {
std::optional<std::uint16_t> numeric_port(std::string_view service) {
  std::uint16_t port = 0;
  auto [end, ec] = std::from_chars(service.data(), service.data() + service.size(), port);
  if (ec != std::errc() || end != service.data() + service.size() || service.empty()) return std::nullopt;
  return port;
}
}  // namespace

std::vector<boost::asio::ip::tcp::endpoint> resolve(std::string_view host, std::string_view service) {
  using boost::asio::ip::tcp;
  boost::system::error_code not_numeric;
  const auto address = boost::asio::ip::make_address(std::string(host), not_numeric);
  if (const auto port = numeric_port(service); !not_numeric && port) {
    return {tcp::endpoint(address, *port)};
  }
  boost::system::error_code ec;
  const auto results = to_thread([&] {
    thread_local boost::asio::io_context unused;  // a resolver needs one; resolve() never runs it
    tcp::resolver resolver(unused);
    return resolver.resolve(host, service, ec);
  });
  if (ec) detail::throw_io_error(ec, "resolve", detail::host_port(host, service));
  std::vector<tcp::endpoint> out;
  out.reserve(results.size());
  for (const auto& r : results) out.push_back(r.endpoint());
  return out;
}

}  // namespace spindle
