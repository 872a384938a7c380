#pragma once
// resolve(host, service): getaddrinfo without blocking the loop (Asio's resolver runs it on its
// own thread; the fiber parks). Numeric addresses and ports skip the lookup. An unknown host →
// boost::system::system_error (host_not_found) naming host and service: "resolve
// nosuch.invalid:80: Host not found (authoritative)". Cancelling waits for the lookup to end:
// Asio's resolver has no per-operation cancellation.
#include <boost/asio/ip/tcp.hpp>
#include <string_view>
#include <vector>

namespace spindle {

std::vector<boost::asio::ip::tcp::endpoint> resolve(std::string_view host, std::string_view service);

}  // namespace spindle
