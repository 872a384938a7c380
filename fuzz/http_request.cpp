// libFuzzer target: http_server's request path, httpd::serve_session, over a real socketpair. The
// input is what a client sent on one connection. Under the virtual clock, a server fiber serves
// one end with http_server's routes and small limits; a writer fiber sends the input in pieces
// (lengths drawn from the input) and then shuts its side down; the main fiber reads the other end
// to end of stream. Checked on every input:
//   - the output is a sequence of complete HTTP/1.1 responses and nothing else (HEAD answers
//     without a body; which requests are HEAD, the input parsed with the session's limits says);
//   - every status is one the session or the routes give: 100, 200, 404 (routes, with their
//     bodies) or 400, 408, 413, 417, 431, 501 (the session's refusals);
//   - a refusal, or an answer saying `Connection: close`, is the last response; a 100 Continue is
//     followed by a final answer; there are no more final answers than requests begun;
//   - serve_session returns (no exception) and the connection ends;
//   - memory stays bounded: the heap never grows by more than kHeapBound while the input is
//     served, whatever its size (tracked with the sanitizer allocator's malloc/free hooks).
// Any violation aborts, which libFuzzer reports as a crash with the input saved.
#include <sanitizer/allocator_interface.h>

#include <algorithm>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <spindle.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "http_session.hpp"
#include "routes.hpp"

namespace {

namespace http = boost::beast::http;
using namespace std::chrono_literals;

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "http_request: invariant violated: %s\n", what);
  std::abort();
}

// Small limits, so that 4 KiB inputs reach every refusal.
const httpd::SessionOptions kOptions{.header_limit = 512, .body_limit = 2048, .header_timeout = 1s};

// What the heap may grow by while one input is served: the session's read buffer and request
// (header ≤ header_limit, but Beast keeps each field in its own node; body ≤ body_limit), the
// answer, two fibers and the socket operations. The most measured is 8.7 KiB (a 512-byte header
// of 120 empty fields); a read buffer without its header_limit cap grows past the bound on the
// seed chunked_endless_extension.http (a 40 KB chunk extension).
constexpr std::size_t kHeapBound = 24 * 1024;

// Live heap bytes, and their peak since reset, from the sanitizer allocator's hooks.
struct HeapWatch {
  std::size_t live = 0;
  std::size_t peak = 0;
};
HeapWatch g_heap;

void on_malloc(const volatile void*, std::size_t size) {
  g_heap.live += size;
  g_heap.peak = std::max(g_heap.peak, g_heap.live);
}
void on_free(const volatile void* p) {
  const std::size_t size = __sanitizer_get_allocated_size(const_cast<const void*>(p));
  g_heap.live -= std::min(size, g_heap.live);  // blocks from before the hooks were installed
}

// The requests the input holds, as the session's parser sees them: one per request begun, true
// if its request line says HEAD (then its answer, a refusal included, has no body).
struct Requests {
  std::vector<bool> head;
};

Requests parse_requests(std::string_view input) {
  Requests requests;
  while (!input.empty()) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kOptions.header_limit));
    parser.body_limit(kOptions.body_limit);
    parser.eager(true);
    boost::system::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    requests.head.push_back(parser.get().method() == http::verb::head);  // unknown if unparsed
    if (ec || !parser.is_done()) break;
    input.remove_prefix(used);
  }
  return requests;
}

bool is_refusal(unsigned status) {
  switch (status) {
    case 400:
    case 408:
    case 413:
    case 417:
    case 431:
    case 501:
      return true;
    default:
      return false;
  }
}

// Checks `output` against the requests that produced it.
void check_responses(std::string_view output, const Requests& requests) {
  std::size_t finals = 0;
  bool ended = false;      // a refusal or `Connection: close` was answered
  bool continued = false;  // the last response was 100 Continue
  while (!output.empty()) {
    check(!ended, "a response after a refusal or Connection: close");
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.skip(finals < requests.head.size() && requests.head[finals]);
    boost::system::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(output.data(), output.size()), ec);
    if (!ec && !parser.is_done()) {
      parser.put_eof(ec);  // a body that runs to the close (none should)
    }
    check(!ec && parser.is_done(), "the output is not a sequence of complete responses");
    output.remove_prefix(used);
    const auto& res = parser.get();
    const unsigned status = res.result_int();
    check(res.version() == 11 || res.version() == 10, "HTTP version of a response");
    if (status == 100) {
      check(res.body().empty(), "100 Continue with a body");
      continued = true;
      continue;
    }
    continued = false;
    ++finals;
    if (status == 200 && !parser.skip()) check(res.body() == "Hello, World!", "200's body");
    if (status == 404 && !parser.skip()) check(res.body() == "not found", "404's body");
    check(status == 200 || status == 404 || is_refusal(status), "a status the session never gives");
    ended = is_refusal(status) || !res.keep_alive();
    check(!is_refusal(status) || !res.keep_alive(), "a refusal without Connection: close");
  }
  check(!continued, "100 Continue without a final answer");
  check(finals <= requests.head.size(), "more answers than requests");
}

// http_server's routes, without /delay/'s sleep (which would wait in real time while the socket
// is busy): such targets are answered as "/".
httpd::Response respond(const httpd::Request& req) {
  if (!req.target().starts_with("/delay/")) return httpd::hello_routes(req);
  httpd::Request copy = req;
  copy.target("/");
  return httpd::hello_routes(copy);
}

// Piece lengths 1..64 drawn from the input itself, so a crash reproduces from the input alone.
std::vector<std::size_t> piece_lengths(std::string_view input) {
  std::vector<std::size_t> pieces;
  std::uint64_t h = 0x9e3779b97f4a7c15u ^ input.size();
  for (std::size_t i = 0; i < 32; ++i) {
    h = (h ^ (i < input.size() ? static_cast<unsigned char>(input[input.size() - 1 - i]) : i)) *
        0x100000001b3u;
    pieces.push_back(1 + (h >> 29) % 64);
  }
  return pieces;
}

// Serves `input` on one connection and returns what the session answered. `output` is reserved
// beforehand (answers are at most a few times longer than the shortest request), so that the heap
// measured meanwhile is the session's.
std::string serve(std::string_view input) {
  std::string output;
  output.reserve(16 * input.size() + 4096);
  const std::size_t start = g_heap.live;
  g_heap.peak = start;

  boost::asio::local::stream_protocol::socket a(spindle::this_loop().io_context());
  boost::asio::local::stream_protocol::socket b(spindle::this_loop().io_context());
  boost::asio::local::connect_pair(a, b);
  spindle::UnixStream server_end(std::move(a));
  spindle::UnixStream client_end(std::move(b));
  auto server = spindle::spawn([&] {
    httpd::serve_session(server_end, respond, kOptions);
    server_end.close();
  });
  auto writer = spindle::spawn([&] {
    const std::vector<std::size_t> pieces = piece_lengths(input);
    for (std::size_t i = 0, sent = 0; sent < input.size(); ++i) {
      const std::size_t n = std::min(pieces[i % pieces.size()], input.size() - sent);
      client_end.write_all(input.substr(sent, n));
      sent += n;
    }
    client_end.shutdown_write();
  });
  char chunk[4096];
  while (const std::size_t n = client_end.read_some(boost::asio::buffer(chunk))) {
    output.append(chunk, n);
  }
  writer.get();
  server.get();  // rethrows what escaped serve_session
  check(g_heap.peak - start <= kHeapBound, "the heap grew beyond kHeapBound for one connection");
  return output;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool hooked = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) != 0;
  check(hooked, "the malloc hooks could not be installed");
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Requests requests = parse_requests(input);
  const std::string output = spindle::run(
      spindle::RunOptions{.clock = spindle::ClockKind::virtual_time}, [&] { return serve(input); });
  check_responses(output, requests);
  return 0;
}
