#include "http_session.hpp"

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace httpd {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

// How long a connection that answered an error keeps discarding input before it closes.
constexpr auto kLingerTime = 500ms;

// Sends FIN, then reads and discards until the client closes or kLingerTime passes: closing a
// socket with unread input resets the connection, and a reset can destroy the answer in flight.
// Not inlined: its 4 KiB sink would otherwise push every frame below serve_session's 4 KiB deeper.
template <class Stream>
[[gnu::noinline]] void close_gracefully(Stream& s) {
  s.shutdown_write();
  spindle::move_on_after(kLingerTime, [&] {
    char sink[4096];
    boost::system::error_code ec;
    while (s.read_some(boost::asio::buffer(sink), ec) > 0 && !ec) {
    }
  });
}

template <class Stream>
[[gnu::noinline]] void write_response(Stream& stream, Response& res, bool head) {
  http::response_serializer<http::string_body> serializer{res};
  if (head) {
    http::write_header(stream, serializer);
  } else {
    http::write(stream, serializer);
  }
}

// Answers `status` with `Connection: close` (headers only to HEAD) and ends the connection.
template <class Stream>
void reject(Stream& s, http::status status, unsigned version, bool head) {
  Response res{status, version == 10 ? 10u : 11u};
  res.set(http::field::server, "spindle");
  res.set(http::field::content_type, "text/plain");
  res.body() = std::string(http::obsolete_reason(status)) + "\n";
  res.keep_alive(false);
  res.prepare_payload();
  write_response(s, res, head);
  close_gracefully(s);
}

http::status status_for(const boost::system::error_code& ec) {
  if (ec == http::error::header_limit) return http::status::request_header_fields_too_large;
  if (ec == http::error::body_limit || ec == http::error::buffer_overflow)
    return http::status::payload_too_large;
  return http::status::bad_request;
}

// RFC 9112 §6.1 and §6.3 on Transfer-Encoding: the status to refuse the request with, if any.
std::optional<http::status> transfer_coding_error(const Request::header_type& h) {
  auto [first, last] = h.equal_range(http::field::transfer_encoding);
  if (first == last) return std::nullopt;
  if (h.count(http::field::content_length) > 0)
    return http::status::bad_request;  // which one frames it?
  std::vector<std::string_view> codings;
  for (auto f = first; f != last; ++f) {
    for (auto coding : http::token_list(f->value()))
      codings.emplace_back(coding.data(), coding.size());
  }
  auto chunked = [](std::string_view c) { return beast::iequals(c, "chunked"); };
  if (codings.empty() || !chunked(codings.back())) return http::status::bad_request;  // no framing
  if (std::count_if(codings.begin(), codings.end(), chunked) > 1) return http::status::bad_request;
  if (codings.size() > 1) return http::status::not_implemented;  // gzip etc. are not decoded here
  return std::nullopt;
}

// How much the wait for a request's first bytes reads: most requests' headers fit.
constexpr std::size_t kFirstRead = 512;

// Waits for the first bytes of the next request; false if the client closed the connection. The
// buffer is empty: an idle connection gives its memory back while it waits.
template <class Stream>
bool await_request(Stream& s, beast::flat_buffer& buffer, spindle::Connection* connection) {
  buffer.shrink_to_fit();
  auto read = [&] {
    const std::size_t n = s.read_some(buffer.prepare(std::min(kFirstRead, buffer.max_size())));
    buffer.commit(n);
    return n > 0;
  };
  return connection ? connection->idle(read) : read();
}

// A request refused: the status to answer, the version to answer in, and whether the request
// line said HEAD (then the answer has no body, RFC 9110 §9.3.2).
struct Refusal {
  http::status status;
  unsigned version = 11;
  bool head = false;
};

// http::read_header with `limit` counted over the whole header: Beast applies its header_limit to
// the bytes of each read, so fields parsed from earlier reads would not count.
template <class Stream>
void read_header_within(Stream& stream, beast::flat_buffer& buffer,
                        http::request_parser<http::string_body>& parser, std::size_t limit,
                        boost::system::error_code& ec) {
  std::size_t parsed = 0;
  while (!parser.is_header_done()) {
    parsed += http::read_some(stream, buffer, parser, ec);
    if (ec) return;
    if (parsed > limit) {
      ec = http::error::header_limit;
      return;
    }
  }
}

// Reads one request (its first bytes are in `buffer`) within the limits. Its own frame (as
// write_response's): the parser and the serializer are never on the fiber's stack together, which
// keeps the stack pages an idle connection holds down to what one of them needs.
template <class Stream>
[[gnu::noinline]] std::variant<Request, Refusal> read_request(Stream& stream,
                                                              beast::flat_buffer& buffer,
                                                              const SessionOptions& options) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(options.header_limit, UINT32_MAX)));
  parser.body_limit(options.body_limit);
  std::uint64_t chunked_bytes = 0;  // chunk sizes and extensions so far, against body_limit
  auto count_chunk = [&](std::uint64_t size, beast::string_view extensions,
                         boost::system::error_code& ec) {
    chunked_bytes += size + extensions.size();
    if (chunked_bytes > options.body_limit) ec = http::error::body_limit;
  };
  parser.on_chunk_header(count_chunk);

  // The method is known once the request line is parsed, before the rest of the header.
  auto refuse = [&](http::status status, unsigned version = 11) {
    return Refusal{status, version, parser.get().method() == http::verb::head};
  };
  boost::system::error_code ec;
  try {
    spindle::timeout(options.header_timeout,
                     [&] { read_header_within(stream, buffer, parser, options.header_limit, ec); });
  } catch (const spindle::TimeoutError&) {
    return refuse(http::status::request_timeout);
  }
  if (ec) return refuse(status_for(ec));
  const auto& header = parser.get().base();
  if (auto refused = transfer_coding_error(header)) return refuse(*refused, header.version());
  if (const auto expect = header[http::field::expect]; !expect.empty()) {
    if (!beast::iequals(expect, "100-continue"))
      return refuse(http::status::expectation_failed, header.version());
    if (header.version() >= 11 && !parser.is_done())
      stream.write_all("HTTP/1.1 100 Continue\r\n\r\n");
  }
  http::read(stream, buffer, parser, ec);
  if (ec) return refuse(status_for(ec), header.version());
  return parser.release();
}

}  // namespace

template <class Stream>
void serve_session(Stream& stream, const Responder& respond, const SessionOptions& options,
                   spindle::Connection* connection) {
  beast::flat_buffer buffer;
  buffer.max_size(options.header_limit);  // holds one header, chunk-size line or trailer at most
  for (;;) {
    if (buffer.size() == 0 && !await_request(stream, buffer, connection)) return;
    auto request = read_request(stream, buffer, options);
    if (auto* refused = std::get_if<Refusal>(&request))
      return reject(stream, refused->status, refused->version, refused->head);
    const Request& req = std::get<Request>(request);
    Response res = respond(req);
    res.keep_alive(req.keep_alive() && !(connection && connection->server_closing()));
    write_response(stream, res, req.method() == http::verb::head);
    if (!res.keep_alive()) return close_gracefully(stream);
  }
}

template void serve_session(spindle::TcpStream&, const Responder&, const SessionOptions&,
                            spindle::Connection*);
template void serve_session(spindle::UnixStream&, const Responder&, const SessionOptions&,
                            spindle::Connection*);
template void serve_session(spindle::MemoryStream&, const Responder&, const SessionOptions&,
                            spindle::Connection*);

}  // namespace httpd
