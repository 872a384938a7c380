#pragma once
// What the C++ peer servers of tools/bench/io_compare share: the command line every server takes
// (`--host H --port N`, port 0 = any free port), the listening socket, the `listening on H:PORT`
// first line, and stopping on SIGINT/SIGTERM. Header-only Asio, one thread.
#include <boost/asio.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace iobench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct ServerArgs {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
};

inline ServerArgs parse_args(int argc, char** argv) {
  ServerArgs a;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && std::strcmp(argv[i], "--host") == 0) {
      a.host = argv[++i];
    } else if (i + 1 < argc && std::strcmp(argv[i], "--port") == 0) {
      a.port = static_cast<unsigned short>(std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--host H] [--port N]   (port 0 = any free port)\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return a;
}

// Binds and listens, then prints `listening on H:PORT` as the first line of stdout.
inline tcp::acceptor listen(asio::io_context& io, const ServerArgs& a) {
  tcp::endpoint ep(asio::ip::make_address(a.host), a.port);
  tcp::acceptor acc(io, ep.protocol());
  acc.set_option(tcp::acceptor::reuse_address(true));
  acc.bind(ep);
  acc.listen(asio::socket_base::max_listen_connections);
  std::printf("listening on %s:%u\n", a.host.c_str(), acc.local_endpoint().port());
  std::fflush(stdout);
  return acc;
}

// SIGINT/SIGTERM stop the io_context; the server's main then returns 0.
inline void stop_on_signals(asio::io_context& io, asio::signal_set& signals) {
  signals.add(SIGINT);
  signals.add(SIGTERM);
  signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
}

inline void no_delay(tcp::socket& s) {
  boost::system::error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
}

// The raw-callback servers (echo_asio, http_beast): accept forever, and for each connection
// `std::make_shared<Session>(socket)->read()`; the session's handlers keep it alive.
template <class Session>
void accept_sessions(tcp::acceptor& acc) {
  acc.async_accept([&acc](boost::system::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      no_delay(s);
      std::make_shared<Session>(std::move(s))->read();
    }
    accept_sessions<Session>(acc);
  });
}

template <class Session>
int run_callback_server(int argc, char** argv) {
  const ServerArgs args = parse_args(argc, argv);
  asio::io_context io(1);
  tcp::acceptor acc = listen(io, args);
  asio::signal_set signals(io);
  stop_on_signals(io, signals);
  accept_sessions<Session>(acc);
  io.run();
  return 0;
}

}  // namespace iobench
