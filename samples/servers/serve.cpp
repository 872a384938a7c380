#include "serve.hpp"

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "io/signal.hpp"

namespace samples {

namespace {
[[noreturn]] void usage(const char* prog, std::string_view problem) {
  std::cerr << prog << ": " << problem << "\nusage: " << prog << " [--host H] [--port N]\n";
  std::exit(2);
}
}  // namespace

ServerArgs parse_server_args(int argc, char** argv, std::uint16_t default_port) {
  ServerArgs args;
  args.port = default_port;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i], value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg == "--host" || arg == "--port") {
      if (i + 1 >= argc) usage(argv[0], std::string(arg) + " needs a value");
      value = argv[++i];
    }
    if (arg == "--host") {
      args.host = value;
    } else if (arg == "--port") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), args.port);
      if (ec != std::errc() || end != value.data() + value.size()) {
        usage(argv[0], "--port: '" + std::string(value) + "' is not a port number (0-65535)");
      }
    } else {
      usage(argv[0], "unknown argument " + std::string(arg));
    }
  }
  return args;
}

void serve_until_signal(spindle::Server& server, const ServerArgs& args, spindle::Duration grace) {
  // Catch the signals before anyone learns the port: a client may signal as soon as it knows it.
  auto stop = spindle::spawn([] { return spindle::wait_signal({SIGINT, SIGTERM}); });
  spindle::yield_now();
  std::cout << "listening on " << args.host << ':' << server.port() << std::endl;
  const int sig = stop.get();
  std::cerr << "signal " << sig << ": stopping (grace period "
            << std::chrono::duration_cast<std::chrono::milliseconds>(grace).count() << " ms)" << std::endl;
  server.shutdown(grace);
}

}  // namespace samples
