// echo_server: echoes bytes as they arrive, one fiber per connection (works with `nc`).
//   build/samples/servers/echo_server --port 7000 &  printf 'hello\n' | nc -q1 127.0.0.1 7000
#include <spindle.hpp>

#include "serve.hpp"

int main(int argc, char** argv) {
  const auto args = samples::parse_server_args(argc, argv);
  spindle::run([&] {
    auto server = spindle::start_server(args.host, args.port, [](spindle::TcpStream s) {
      char buf[16 * 1024];
      while (std::size_t n = s.read_some(boost::asio::buffer(buf))) s.write_all(std::string_view(buf, n));
    });
    samples::serve_until_signal(server, args);
  });
}
