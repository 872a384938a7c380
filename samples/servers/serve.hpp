#pragma once
// What every server sample shares: `--host H --port N` (port 0 picks a free port), the first
// output line `listening on H:PORT`, and a graceful stop on SIGINT/SIGTERM (stop accepting, close
// idle connections, let connections in flight finish within a grace period, cancel the rest, exit
// 0). A second SIGINT/SIGTERM during the grace period ends it: the rest are cancelled at once.
#include <chrono>
#include <cstdint>
#include <string>

#include <spindle.hpp>

namespace samples {

struct ServerArgs {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

// Parses --host/--port (also --host=H, --port=N). Bad arguments: a message naming the argument
// and value ("--port: '70000' is not a port number (0-65535)") and exit status 2.
ServerArgs parse_server_args(int argc, char** argv, std::uint16_t default_port = 0);

// Prints "listening on H:PORT", parks until SIGINT or SIGTERM, then shuts the server down
// (Server::shutdown(grace)); a second signal cancels what is left.
void serve_until_signal(spindle::Server& server, const ServerArgs& args,
                        spindle::Duration grace = std::chrono::seconds(2));

}  // namespace samples
