#pragma once
// One HTTP/1.1 connection: read requests with bounded memory and time, answer them through a
// Responder, keep the connection alive while both sides want to. Works over any spindle stream
// (TcpStream from a server, UnixStream from a socketpair in a fuzz harness, MemoryStream from
// testing::stream_pair in tests).
//
// What a client can make it do, and what it answers:
//   - header (request line + fields) over header_limit               → 431, close
//   - body over body_limit (Content-Length, chunk sizes + chunk extensions together), a chunk-size
//     line or a trailer section that does not fit the header_limit read buffer  → 413, close
//   - Transfer-Encoding whose last coding is not chunked, Transfer-Encoding together with
//     Content-Length (RFC 9112 §6.3: request smuggling), chunked twice, other parse errors → 400,
//     close
//   - a transfer coding before chunked (gzip, chunked): not decoded here          → 501, close
//   - header not complete within header_timeout of its first bytes               → 408, close
//   - `Expect: 100-continue` → `100 Continue` before the body is read (413 instead when the
//     declared body is too large); any other expectation → 417, close
//   - HEAD → the GET answer's status and headers, no body; a refusal of a HEAD request (its
//     request line parsed) has no body either
// Memory per connection: one read buffer of at most header_limit bytes, the request (header ≤
// header_limit, body ≤ body_limit) and the answer. After an error answer the connection sends FIN
// and discards input for at most 500 ms before closing, so the client can read the answer instead
// of receiving a reset.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <spindle.hpp>

#include "io/memory_stream.hpp"

namespace httpd {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// Answers one request (its body may be read by the responder; keep-alive is set by the session).
using Responder = std::function<Response(const Request&)>;

struct SessionOptions {
  std::size_t header_limit = 8 * 1024;     // bytes: request line and fields; also the read buffer
  std::uint64_t body_limit = 1024 * 1024;  // bytes: body, with chunk extensions counted in
  // The whole header must arrive within this of its first bytes; nullopt = no limit.
  std::optional<spindle::Duration> header_timeout = std::chrono::seconds(10);
};

// Serves requests on `stream` until the client closes it, an answer closes it, or the server
// shuts down. With a `connection` (a server's), the wait for the next request is idle (see
// spindle::Connection) and answers say `Connection: close` once the server is closing. Errors of
// the stream (a reset) propagate as boost::system::system_error.
template <class Stream>
void serve_session(Stream& stream, const Responder& respond, const SessionOptions& options = {},
                   spindle::Connection* connection = nullptr);

extern template void serve_session(spindle::TcpStream&, const Responder&, const SessionOptions&,
                                   spindle::Connection*);
extern template void serve_session(spindle::UnixStream&, const Responder&, const SessionOptions&,
                                   spindle::Connection*);
extern template void serve_session(spindle::MemoryStream&, const Responder&, const SessionOptions&,
                                   spindle::Connection*);

}  // namespace httpd
