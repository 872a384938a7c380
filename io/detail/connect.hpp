#pragma once
// The two halves of open_connection's Happy Eyeballs (RFC 8305), apart so that tests can give them
// explicit address lists (a name here resolves to one address).
#include <boost/asio/ip/tcp.hpp>
#include <span>
#include <string_view>
#include <vector>

#include "scheduler/clock.hpp"

namespace spindle::detail {

// RFC 8305 §4: the first address's family first, then alternating IPv6/IPv4, each family keeping
// its own order (asyncio's interleave=1).
std::vector<boost::asio::ip::tcp::endpoint> interleave_families(
    std::span<const boost::asio::ip::tcp::endpoint> endpoints);

// Connects to `endpoints` in order and returns the first socket that connects. Attempt i+1 starts
// when attempt i fails or `delay` after it started, whichever is first; the winner cancels the
// others (their sockets closed). Every attempt has ended when this returns or throws; cancelling
// the caller cancels them all. One endpoint: a plain connect. Empty → std::invalid_argument.
// All failed → boost::system::system_error naming `host` (what open_connection was given) and the
// port, as open_connection documents: the first attempt's error code, each "address: error" in
// the message.
boost::asio::ip::tcp::socket connect_first(
    std::span<const boost::asio::ip::tcp::endpoint> endpoints, Duration delay,
    std::string_view host);

}  // namespace spindle::detail
