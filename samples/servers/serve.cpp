#include "serve.hpp"

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string_view>


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
  // One handler for the whole run: the first signal starts the graceful stop, a second one during
  // the grace ends it (the connections left are cancelled), and none falls back to the default
  // action (which would end the process with a non-zero status).
  spindle::Event stop;
  spindle::Task<bool> graceful;
  int signals = 0;
  const std::function<void(int)> on_signal = [&](int sig) {
    if (++signals == 1) {
      std::cerr << "signal " << sig << ": stopping (grace period "
                << std::chrono::duration_cast<std::chrono::milliseconds>(grace).count() << " ms)"
                << std::endl;
      stop.set();
    } else {
      std::cerr << "signal " << sig << " again: cancelling the connections left" << std::endl;
      if (graceful.valid()) graceful.cancel("second signal");
    }
  };
  struct Handlers {  // removed on every way out: they refer to this frame
    explicit Handlers(const std::function<void(int)>& fn) {
      for (int sig : {SIGINT, SIGTERM})
        spindle::this_loop().add_signal_handler(sig, [&fn, sig] { fn(sig); });
    }
    ~Handlers() {
      for (int sig : {SIGINT, SIGTERM}) spindle::this_loop().remove_signal_handler(sig);
    }
  } handlers{on_signal};
  std::cout << "listening on " << args.host << ':' << server.port() << std::endl;
  stop.wait();
  graceful = spindle::spawn([&] { return server.shutdown(grace); });
  if (signals > 1) graceful.cancel("second signal");  // it came before the stop began
  graceful.join();
}

}  // namespace samples
