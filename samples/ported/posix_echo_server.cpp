// A synchronous program ported to fibers with the hooks (io/hooks/): a plain POSIX echo server,
// socket/bind/listen/accept/read/write only, a thread per connection. Porting it changes two
// lines: main's body runs inside spindle::run, and each connection is spindle::spawn'ed instead of
// given a std::thread. Nothing else knows about spindle; the blocking accept, read and write park
// the fiber (linked with libspindle_hooks.so).
//   build/samples/ported/posix_echo_server --port 7000            fibers, one thread (after)
//   build/samples/ported/posix_echo_server --port 7000 --threads  a thread per connection (before)
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <spindle.hpp>

namespace {

void serve(int fd) {
  char buf[16 * 1024];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0 || write(fd, buf, static_cast<std::size_t>(n)) != n) break;
  }
  close(fd);
}

int listen_on(const char* host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 1024) != 0) {
    std::fprintf(stderr, "posix_echo_server: cannot listen on %s:%d: %s\n", host, port,
                 std::strerror(errno));
    std::exit(1);
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on %s:%d\n", host, ntohs(addr.sin_port));
  std::fflush(stdout);
  return fd;
}

// The synchronous program's accept loop; `start(fd)` runs serve(fd) concurrently.
template <class Start>
void accept_forever(int listener, Start start) {
  for (;;) {
    const int fd = accept(listener, nullptr, nullptr);
    if (fd >= 0) start(fd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  int port = 7000;
  bool threads = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (a == "--threads") {
      threads = true;
    } else {
      std::fprintf(stderr, "usage: %s [--host H] [--port N] [--threads]\n", argv[0]);
      return 2;
    }
  }
  signal(SIGTERM, [](int) { _exit(0); });  // how a benchmark or a service manager stops it
  if (threads) {  // before
    const int listener = listen_on(host, port);
    accept_forever(listener, [](int fd) { std::thread(serve, fd).detach(); });
  }
  spindle::run([&] {  // after: the same code in fibers
    const int listener = listen_on(host, port);
    accept_forever(listener, [](int fd) { spindle::spawn(serve, fd); });
  });
}
