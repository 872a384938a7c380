#include "io/unix.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "io/detail/accept.hpp"
#include "scheduler/loop.hpp"

namespace spindle {

using boost::asio::local::stream_protocol;

namespace {

bool is_abstract(std::string_view path) { return !path.empty() && path.front() == '\0'; }

// "<op> <path>[ (<step>)]: <error>" ("bind /tmp/s.sock (a server listens on it): ...").
[[noreturn]] void throw_errno(int err, const char* op, std::string_view path,
                              std::string_view step = {}) {
  std::string target = detail::unix_path(path);
  if (!step.empty()) {
    target += " (";
    target += step;
    target += ')';
  }
  detail::throw_io_error(boost::system::error_code(err, boost::system::system_category()), op,
                         target);
}

// Asio's endpoint throws name_too_long with its source location; this names the path instead.
stream_protocol::endpoint unix_endpoint(std::string_view path, const char* op) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) throw_errno(ENAMETOOLONG, op, path);
  return stream_protocol::endpoint(path);
}

// A socket file at `path` that nobody listens on (connecting is refused) is removed; a live one
// (it accepts, or its backlog is full) and anything that is not a socket are left alone.
void remove_stale_socket(const std::string& path, const stream_protocol::endpoint& at) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return;  // bind reports what is there
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(errno, "bind", path, "socket");
  const int rc = ::connect(fd, at.data(), static_cast<socklen_t>(at.size()));
  const int err = rc == 0 ? 0 : errno;
  ::close(fd);
  if (err == 0 || err == EAGAIN) throw_errno(EADDRINUSE, "bind", path, "a server listens on it");
  if (err != ECONNREFUSED && err != ENOENT) throw_errno(err, "bind", path, "connecting to it");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno(errno, "bind", path, "unlink");
}

}  // namespace

void UnixStream::shutdown_write() { stream_.shutdown(stream_protocol::socket::shutdown_send); }

stream_protocol::endpoint UnixStream::local_endpoint() const { return stream_.local_endpoint(); }

stream_protocol::endpoint UnixStream::remote_endpoint() const { return stream_.remote_endpoint(); }

UnixStream open_unix_connection(std::string_view path) {
  const stream_protocol::endpoint at = unix_endpoint(path, "connect");
  stream_protocol::socket socket(this_loop().io_context());
  boost::system::error_code ec;
  socket.async_connect(at, use_fiber[ec].named("open_unix_connection"));
  if (ec) throw_errno(ec.value(), "connect", path);
  return UnixStream(std::move(socket));
}

UnixListener::UnixListener(stream_protocol::acceptor a, std::string path, dev_t dev, ino_t ino)
    : acceptor_(std::move(a)), path_(std::move(path)), owns_file_(!is_abstract(path_)), dev_(dev), ino_(ino) {}

UnixListener::UnixListener(UnixListener&& o) noexcept
    : acceptor_(std::move(o.acceptor_)),
      path_(std::move(o.path_)),
      owns_file_(std::exchange(o.owns_file_, false)),
      dev_(o.dev_),
      ino_(o.ino_) {}

UnixListener& UnixListener::operator=(UnixListener&& o) noexcept {
  if (this != &o) {
    close();
    acceptor_ = std::move(o.acceptor_);
    path_ = std::move(o.path_);
    owns_file_ = std::exchange(o.owns_file_, false);
    dev_ = o.dev_;
    ino_ = o.ino_;
  }
  return *this;
}

UnixListener::~UnixListener() { close(); }

UnixListener UnixListener::bind(std::string_view path, int backlog) {
  std::string p(path);
  const stream_protocol::endpoint at = unix_endpoint(p, "bind");
  if (!is_abstract(p)) remove_stale_socket(p, at);
  stream_protocol::acceptor acceptor(this_loop().io_context());
  boost::system::error_code ec;
  acceptor.open(stream_protocol(), ec);
  if (!ec) acceptor.bind(at, ec);
  if (ec) throw_errno(ec.value(), "bind", p);
  struct stat st {};
  if (!is_abstract(p) && ::lstat(p.c_str(), &st) != 0) throw_errno(errno, "bind", p, "stat");
  UnixListener listener(std::move(acceptor), std::move(p), st.st_dev, st.st_ino);  // owns the file now
  listener.acceptor_.listen(backlog, ec);
  if (ec) throw_errno(ec.value(), "listen", listener.path_);
  listener.acceptor_.non_blocking(true);
  return listener;
}

UnixStream UnixListener::accept() { return UnixStream(detail::accept_socket(acceptor_, "UnixListener.accept")); }

void UnixListener::close() noexcept {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  unlink_file();
}

void UnixListener::unlink_file() noexcept {
  if (!std::exchange(owns_file_, false)) return;
  struct stat st;
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) ::unlink(path_.c_str());
}

}  // namespace spindle
