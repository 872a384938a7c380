#pragma once
// resolve(host, service): getaddrinfo without blocking the loop: it runs on the worker pool
// (to_thread) while the fiber parks, so several lookups are in flight at once (Asio's async
// resolver runs them one at a time, on one thread per io_context). Numeric addresses and ports
// skip the lookup. An unknown host → boost::system::system_error (host_not_found) naming host and
// service: "resolve nosuch.invalid:80: Host not found (authoritative)". Cancelling waits for the
// lookup to end: getaddrinfo cannot be interrupted.
#include <boost/asio/ip/tcp.hpp>
#include <string_view>
#include <vector>

namespace spindle {

std::vector<boost::asio::ip::tcp::endpoint> resolve(std::string_view host, std::string_view service);

}  // namespace spindle
