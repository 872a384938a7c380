// TCP echo load generator: one thread, one epoll, N connections, each with exactly one 64-byte
// message in flight (send it, wait until all 64 bytes have come back and match, send the next).
//
//   echo_load HOST PORT CONNECTIONS [SECONDS=5] [WARMUP_SECONDS=1]
//
// After the warm-up it prints `measuring` (flushed: tools/bench/io_compare samples the server's CPU
// time when it reads that line), runs SECONDS more, then prints, in the suite's `workload value unit`
// format,
//   echo_msgs_per_s <messages per second> msgs/s
//   echo_msgs <messages echoed in the measured period> msgs
//   echo_load_cpu <this program's own CPU time (user+sys) in the measured period> s
// and only then closes its connections. Any error (refused, reset, EOF, wrong bytes) exits 1.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kMsg = 64 };

typedef struct {
  int fd;
  int got;  // bytes of the current echo received so far
  char buf[kMsg];
} Conn;

static char g_msg[kMsg];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

// 1,000 connections need more than the usual soft limit of 1,024 descriptors.
static void raise_fd_limit(long conns) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = (rlim_t)conns + 64;
  if (rl.rlim_cur >= want) return;
  rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
    fprintf(stderr, "echo_load: RLIMIT_NOFILE is %lu, %ld connections may fail\n",
            (unsigned long)rl.rlim_cur, conns);
}

static void send_msg(Conn* c) {
  // One message in flight, so the socket's send buffer is empty: 64 bytes go out whole.
  ssize_t n = send(c->fd, g_msg, kMsg, MSG_NOSIGNAL);
  if (n != kMsg) die("send");
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s HOST PORT CONNECTIONS [SECONDS=5] [WARMUP_SECONDS=1]\n", argv[0]);
    return 2;
  }
  const long nconn = atol(argv[3]);
  const double seconds = argc > 4 ? atof(argv[4]) : 5.0;
  const double warmup = argc > 5 ? atof(argv[5]) : 1.0;
  if (nconn <= 0 || seconds <= 0 || warmup < 0) {
    fprintf(stderr, "echo_load: bad arguments\n");
    return 2;
  }
  raise_fd_limit(nconn);
  for (int i = 0; i < kMsg; ++i) g_msg[i] = (char)('a' + i % 26);

  struct addrinfo hints = {0}, *ai;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(argv[1], argv[2], &hints, &ai);
  if (rc != 0) {
    fprintf(stderr, "echo_load: %s: %s\n", argv[1], gai_strerror(rc));
    return 1;
  }
  const int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  Conn* conns = calloc((size_t)nconn, sizeof(Conn));
  if (!conns) die("calloc");
  for (long i = 0; i < nconn; ++i) {
    Conn* c = &conns[i];
    c->fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (c->fd < 0) die("socket");
    if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0) die("connect");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl");
  }
  freeaddrinfo(ai);
  for (long i = 0; i < nconn; ++i) send_msg(&conns[i]);

  enum { kEvents = 256 };
  struct epoll_event events[kEvents];
  long long count = 0;
  int measuring = 0;
  double t0 = now_s(), t_end = t0 + warmup, cpu0 = 0;
  for (;;) {
    const double t = now_s();
    if (t >= t_end) {
      if (measuring) {
        const double elapsed = t - t0;
        printf("echo_msgs_per_s %.1f msgs/s\necho_msgs %lld msgs\necho_load_cpu %.3f s\n",
               (double)count / elapsed, count, cpu_s() - cpu0);
        fflush(stdout);
        break;
      }
      measuring = 1;
      count = 0;
      t0 = t;
      t_end = t + seconds;
      cpu0 = cpu_s();
      printf("measuring\n");
      fflush(stdout);
    }
    const int n = epoll_wait(ep, events, kEvents, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      Conn* c = events[i].data.ptr;
      const ssize_t r = recv(c->fd, c->buf + c->got, (size_t)(kMsg - c->got), 0);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) {
        if (r == 0) fprintf(stderr, "echo_load: server closed a connection\n");
        else perror("recv");
        return 1;
      }
      c->got += (int)r;
      if (c->got < kMsg) continue;
      if (memcmp(c->buf, g_msg, kMsg) != 0) {
        fprintf(stderr, "echo_load: echoed bytes differ from the message sent\n");
        return 1;
      }
      c->got = 0;
      ++count;
      send_msg(c);
    }
  }
  for (long i = 0; i < nconn; ++i) close(conns[i].fd);
  free(conns);
  close(ep);
  return 0;
}
