// The runtime half of the hooks (io/hooks/bridge.hpp): parks the running fiber on descriptor
// readiness, on the loop's clock, or on the worker pool.
//
// Readiness comes from an epoll set of the hooks' own per loop, itself watched by the loop's Asio
// reactor: Asio would set O_NONBLOCK on any descriptor it waits on (even for a bare wait), and the
// hooks promise never to touch the caller's descriptors. Each descriptor a fiber waited on is
// added once, edge-triggered, under the shim's generation of its number (a number closed and
// reused is added afresh); edge-triggered is enough because every wait follows a try that found
// the descriptor not ready.
#include "io/hooks/bridge.hpp"

#include <dlfcn.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <unordered_map>
#include <vector>

#include "io/errors.hpp"
#include "io/hooks/hooks.hpp"
#include "io/thread_pool.hpp"
#include "scheduler/detail/logger.hpp"
#include "scheduler/lowlevel.hpp"
#include "scheduler/service.hpp"
#include "scheduler/timeout.hpp"

namespace spindle::detail {
namespace {

class FdWait;
struct Registration;

// One descriptor of an FdWait, linked into that descriptor's registration.
struct FdWaitOp {
  FdWait* owner = nullptr;
  Registration* reg = nullptr;
  std::uint32_t events = 0;  // the epoll events that wake it
  FdWaitOp* prev = nullptr;
  FdWaitOp* next = nullptr;
};

struct Registration {
  std::uint64_t gen = 0;
  FdWaitOp* waiting = nullptr;
  std::size_t* ops_waiting = nullptr;  // the service's count of linked ops, over all descriptors
  // The epoll events that may hold: cleared for what a wait is for (its caller just found it not
  // ready), set again by the events that arrive.
  std::uint32_t maybe_ready = EPOLLIN | EPOLLOUT | EPOLLPRI;

  void link(FdWaitOp& op) {
    op.reg = this;
    op.prev = nullptr;
    op.next = waiting;
    if (waiting) waiting->prev = &op;
    waiting = &op;
    ++*ops_waiting;
  }
  void unlink(FdWaitOp& op) noexcept {
    if (op.prev) op.prev->next = op.next; else waiting = op.next;
    if (op.next) op.next->prev = op.prev;
    op.reg = nullptr;
    op.prev = op.next = nullptr;
    --*ops_waiting;
  }
  // Wakes every waiter: the descriptor is being closed (or its number was reused).
  void close_all() noexcept;
};

// The loop's epoll set and registrations, by descriptor number.
class HookService : public Service {
 public:
  explicit HookService(Loop& loop);
  ~HookService() override;

  // The registration of `fd` at generation `gen`, added on first use; nullptr if epoll cannot
  // watch it (a regular file, a bad descriptor): the caller then retries at once.
  Registration* registration(int fd, std::uint64_t gen);
  // Wakes the fibers parked on `fd` (they see the close) and forgets it.
  void closing(int fd, std::uint64_t gen);
  // Has the reactor watch the epoll set while some fiber waits.
  void arm();
  // See spindle_hooks_runtime::maybe_ready and drained.
  bool maybe_ready(int fd, std::uint64_t gen, std::uint32_t events);
  void drained(int fd, std::uint64_t gen, std::uint32_t events) {
    auto it = regs_.find(fd);
    if (it != regs_.end() && it->second.gen == gen) it->second.maybe_ready &= ~events;
  }

 private:
  void harvest();

  int epoll_fd_;
  boost::asio::posix::stream_descriptor watched_;  // epoll_fd_ in the loop's reactor
  bool armed_ = false;
  std::size_t ops_waiting_ = 0;  // so that harvest knows whether to re-arm without a scan
  std::unordered_map<int, Registration> regs_;
};

// One parked hooked call, on the fiber's stack: one Waiter, one op per descriptor. Cancellation
// wakes it without an exception (the call fails with ECANCELED).
class FdWait {
 public:
  explicit FdWait(const char* what) : waiter_(what) {
    waiter_.slot = this;
    waiter_.on_cancel = [](lowlevel::Waiter& w) {
      static_cast<FdWait*>(w.slot)->cancelled_ = true;
      lowlevel::wake(w);
    };
  }
  ~FdWait() {
    for (FdWaitOp& op : ops_) {
      if (op.reg) op.reg->unlink(op);
    }
  }
  FdWait(const FdWait&) = delete;
  FdWait& operator=(const FdWait&) = delete;

  void reserve(std::size_t n) { ops_.reserve(n); }
  void watch(Registration& reg, std::uint32_t events) {
    FdWaitOp& op = ops_.emplace_back();
    op.owner = this;
    op.events = events;
    reg.link(op);
  }
  int park(std::optional<TimePoint> deadline);

  void fired() noexcept { lowlevel::wake(waiter_); }
  void closed() noexcept {
    closed_ = true;
    lowlevel::wake(waiter_);
  }

 private:
  lowlevel::Waiter waiter_;
  std::vector<FdWaitOp> ops_;  // reserved up front: registrations point into it
  bool cancelled_ = false;
  bool closed_ = false;
};

void Registration::close_all() noexcept {
  while (FdWaitOp* op = waiting) {
    unlink(*op);
    op->owner->closed();
  }
}

HookService::HookService(Loop& loop)
    : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), watched_(loop.io_context()) {
  if (epoll_fd_ < 0) throw_io_error(boost::system::error_code(errno, boost::system::system_category()), "hooks: epoll_create1");
  watched_.assign(epoll_fd_);  // owns it from here: closed with the service
}

HookService::~HookService() {
  for (auto& [fd, reg] : regs_) reg.close_all();
}

Registration* HookService::registration(int fd, std::uint64_t gen) {
  auto [it, fresh] = regs_.try_emplace(fd);
  Registration& r = it->second;
  if (!fresh && r.gen == gen) return &r;
  if (!fresh) r.close_all();  // a stale number: whoever waited on it learns it closed
  r.gen = gen;
  r.ops_waiting = &ops_waiting_;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLET;
  ev.data.fd = fd;
  int rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  if (rc != 0 && errno == EEXIST) rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  if (rc != 0) {
    regs_.erase(it);
    return nullptr;
  }
  return &r;
}

void HookService::closing(int fd, std::uint64_t gen) {
  auto it = regs_.find(fd);
  if (it == regs_.end() || it->second.gen != gen) return;
  it->second.close_all();
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // before the close, as epoll asks
  regs_.erase(it);
}

void HookService::arm() {
  if (armed_) return;
  armed_ = true;
  watched_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                      [this](const boost::system::error_code& ec) {
                        if (ec == boost::asio::error::operation_aborted) return;  // closing
                        armed_ = false;
                        harvest();
                      });
}

void HookService::harvest() {
  std::array<epoll_event, 64> events;
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 0);
    for (int i = 0; i < n; ++i) {
      auto it = regs_.find(events[i].data.fd);
      if (it == regs_.end()) continue;
      std::uint32_t got = events[i].events;
      if (got & (EPOLLERR | EPOLLHUP)) got |= EPOLLIN | EPOLLOUT | EPOLLPRI;
      if (got & EPOLLRDHUP) got |= EPOLLIN;
      it->second.maybe_ready |= got;
      for (FdWaitOp* op = it->second.waiting; op; op = op->next) {
        if (op->events & got) op->owner->fired();
      }
    }
    if (n < static_cast<int>(events.size())) break;
  }
  if (ops_waiting_ > 0) arm();
}

// The answer for a wait that cancellation ended: ECANCELED, noted on the cancelling scope.
int cancelled_here() {
  if (lowlevel::Task* t = lowlevel::current_task_or_null()) lowlevel::note_cancellation_reported(*t);
  return SPINDLE_HOOK_CANCELLED;
}

bool HookService::maybe_ready(int fd, std::uint64_t gen, std::uint32_t events) {
  auto it = regs_.find(fd);
  if (it == regs_.end() || it->second.gen != gen) return true;
  // Unarmed, events may wait in the set unread: read them first (armed, the reactor will).
  if (!armed_ && !(it->second.maybe_ready & events)) harvest();
  return (it->second.maybe_ready & events) != 0;
}

int FdWait::park(std::optional<TimePoint> deadline) {
  // A descriptor wait is outstanding work (the loop blocks in the reactor for it); a bare sleep
  // is not, so the virtual clock jumps through it.
  lowlevel::Outstanding pending;
  if (!ops_.empty()) pending = lowlevel::Outstanding(lowlevel::running_loop());
  lowlevel::WakeReason why;
  try {
    why = lowlevel::park(waiter_, deadline);
  } catch (const CancelledError&) {  // never through the foreign library's frames
    return cancelled_here();
  }
  if (closed_) return SPINDLE_HOOK_CLOSED;
  if (cancelled_) return cancelled_here();
  return why == lowlevel::WakeReason::timed_out ? SPINDLE_HOOK_TIMED_OUT : SPINDLE_HOOK_READY;
}

std::uint32_t epoll_events(short poll_events) {
  std::uint32_t e = 0;
  if (poll_events & POLLIN) e |= EPOLLIN;
  if (poll_events & POLLOUT) e |= EPOLLOUT;
  if (poll_events & POLLPRI) e |= EPOLLPRI;
  return e;
}

bool maybe_ready(int fd, std::uint64_t gen, short events) {
  Loop* loop = Loop::running_on_this_thread();
  HookService* service = loop ? find_service<HookService>(*loop) : nullptr;
  return !service || service->maybe_ready(fd, gen, epoll_events(events));
}

void drained(int fd, std::uint64_t gen, short events) {
  Loop* loop = Loop::running_on_this_thread();
  if (HookService* service = loop ? find_service<HookService>(*loop) : nullptr) {
    service->drained(fd, gen, epoll_events(events));
  }
}

bool in_fiber() {
  lowlevel::Task* t = lowlevel::current_task_or_null();
  return t && lowlevel::running_loop().hooks();
}

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             lowlevel::running_loop().time().time_since_epoch())
      .count();
}

int wait(const spindle_hook_fd* fds, std::size_t n, std::int64_t timeout_ns, const char* what) {
  lowlevel::Task* self = lowlevel::current_task_or_null();
  if (!self) return SPINDLE_HOOK_READY;  // the shim asked in_fiber() first: not reached
  if (self->cancelled_from()) return cancelled_here();
  Loop& loop = lowlevel::running_loop();
  std::optional<TimePoint> deadline;
  if (timeout_ns >= 0) deadline = deadline_after(std::chrono::nanoseconds(timeout_ns));
  FdWait w(what);
  if (n > 0) {
    HookService& service = use_service<HookService>(loop);
    w.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      Registration* reg = service.registration(fds[i].fd, fds[i].gen);
      if (!reg) return SPINDLE_HOOK_READY;  // not watchable: the caller's retry gives the answer
      const std::uint32_t events = epoll_events(fds[i].events);
      reg->maybe_ready &= ~events;  // the caller has just found them not ready
      w.watch(*reg, events);
    }
    service.arm();
  }
  return w.park(deadline);
}

int run_blocking(void (*fn)(void*), void* arg) {
  try {
    to_thread([fn, arg] { fn(arg); });
    return SPINDLE_HOOK_READY;
  } catch (const CancelledError&) {
    return cancelled_here();
  }
}

void closing(int fd, std::uint64_t gen) {
  Loop* loop = Loop::running_on_this_thread();
  if (!loop) return;
  if (HookService* service = find_service<HookService>(*loop)) service->closing(fd, gen);
}

void report_blocking(const char* call, int fd, std::int64_t ns) {
  lowlevel::Task* t = lowlevel::current_task_or_null();
  logger().warn("{} on fd {} could not be hooked (not a socket or pipe) and blocked the loop for "
                "{:.1f} ms in fiber {}",
                call, fd, static_cast<double>(ns) / 1e6, t ? t->label() : std::string("?"));
}

bool debug() {
  Loop* loop = Loop::running_on_this_thread();
  return loop && loop->debug();
}

constexpr spindle_hooks_runtime kRuntime{
    .version = 1,
    .in_fiber = &in_fiber,
    .now = &now,
    .wait = &wait,
    .maybe_ready = &maybe_ready,
    .drained = &drained,
    .run_blocking = &run_blocking,
    .closing = &closing,
    .report_blocking = &report_blocking,
    .debug = &debug,
};

}  // namespace
}  // namespace spindle::detail

extern "C" [[gnu::visibility("default")]] const spindle_hooks_runtime* spindle_hooks_runtime_v1() {
  return &spindle::detail::kRuntime;
}

namespace spindle {

bool hooks_active() {
  // The shim exports this marker; looked up once (it cannot appear later without dlopen).
  static const bool shim_loaded = dlsym(RTLD_DEFAULT, "spindle_hooks_shim_v1") != nullptr;
  return shim_loaded && detail::in_fiber();
}

}  // namespace spindle
