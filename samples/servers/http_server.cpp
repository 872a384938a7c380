// http_server: HTTP/1.1 with keep-alive, Boost.Beast's parser and serializer, one fiber per
// connection. Beast's synchronous http::read/http::write run on the TcpStream directly: in a fiber
// they park instead of blocking. The request path (limits, errors, keep-alive) is
// http/http_session.hpp; the routes are http/routes.hpp.
//   build/samples/servers/http_server --port 8080 &  curl -s localhost:8080/   wrk -c100 -d5s ...
//
// Limits against hostile clients (see --help): the whole request header within --header-timeout
// seconds of its first bytes (slowloris), a connection with no completed read or write for
// --idle-timeout seconds is closed (keep-alive idle, stalled clients), at most --max-connections
// served at once (the rest wait in the listen backlog); header ≤ 8 KiB, body ≤ 1 MiB.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <spindle.hpp>
#include <string>
#include <string_view>

#include "http/http_session.hpp"
#include "http/routes.hpp"
#include "serve.hpp"

namespace {

struct HttpArgs {
  double header_timeout = 10;  // seconds; 0 = none
  double idle_timeout = 60;    // seconds; 0 = none
  std::size_t max_connections = 0;
  double shutdown_grace = 2;  // seconds
};

constexpr const char* kUsage =
    "usage: http_server [--host H] [--port N] [--header-timeout S] [--idle-timeout S] "
    "[--max-connections N]\n"
    "                   [--shutdown-grace S]\n"
    "  --header-timeout S   the whole request header must arrive within S seconds of its first\n"
    "                       bytes, else 408 and close (default 10; 0 = no limit)\n"
    "  --idle-timeout S     close a connection with no completed read or write for S seconds:\n"
    "                       keep-alive idle, stalled clients (default 60; 0 = never)\n"
    "  --max-connections N  serve at most N connections at once; further clients wait in the\n"
    "                       listen backlog (default 0 = no cap)\n"
    "  --shutdown-grace S   on SIGINT/SIGTERM, let requests in flight finish within S seconds\n"
    "                       (default 2); a second signal cancels them at once\n"
    "  limits: request header 8 KiB (431), body 1 MiB with chunk extensions (413)\n";

[[noreturn]] void bad_value(std::string_view flag, std::string_view value) {
  std::cerr << "http_server: bad " << flag << " value '" << value << "'\n" << kUsage;
  std::exit(2);
}

template <class T>
T parse_number(std::string_view flag, std::string_view value) {
  T out{};
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size() || out < 0) bad_value(flag, value);
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(out) || out > 1e9) bad_value(flag, value);  // 1e9 s: 31 years
  }
  return out;
}

// Takes http_server's own flags out of argv (both `--flag V` and `--flag=V`); the rest (host,
// port) is left for samples::parse_server_args.
HttpArgs take_http_args(int& argc, char** argv) {
  HttpArgs args;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i], value;
    const auto eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    if (name == "--help" || name == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (name != "--header-timeout" && name != "--idle-timeout" && name != "--max-connections" &&
        name != "--shutdown-grace") {
      argv[kept++] = argv[i];
      continue;
    }
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      bad_value(name, "");
    }
    if (name == "--header-timeout") args.header_timeout = parse_number<double>(name, value);
    if (name == "--idle-timeout") args.idle_timeout = parse_number<double>(name, value);
    if (name == "--shutdown-grace") args.shutdown_grace = parse_number<double>(name, value);
    if (name == "--max-connections") args.max_connections = parse_number<std::size_t>(name, value);
  }
  argc = kept;
  return args;
}

std::optional<spindle::Duration> seconds_or_none(double s) {
  if (s == 0) return std::nullopt;
  return std::chrono::duration_cast<spindle::Duration>(std::chrono::duration<double>(s));
}

}  // namespace

int main(int argc, char** argv) {
  const HttpArgs http_args = take_http_args(argc, argv);
  const auto args = samples::parse_server_args(argc, argv);
  const httpd::SessionOptions session{.header_timeout = seconds_or_none(http_args.header_timeout)};
  spindle::run([&] {
    auto server = spindle::start_server(
        args.host, args.port,
        [&session](spindle::TcpStream s, spindle::Connection& c) {
          s.set_nodelay();
          httpd::serve_session(s, httpd::hello_routes, session, &c);
        },
        spindle::ServerOptions{.max_connections = http_args.max_connections,
                               .idle_timeout = seconds_or_none(http_args.idle_timeout)});
    samples::serve_until_signal(
        server, args,
        seconds_or_none(http_args.shutdown_grace).value_or(spindle::Duration::zero()));
  });
}
