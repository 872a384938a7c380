#pragma once
// The bridge between the two halves of the hooks (a C ABI: the halves live in different binaries).
//
// - The shim, libspindle_hooks.so (io/hooks/shim/): defines read, poll, nanosleep... in front of
//   libc. It holds the process-wide descriptor table, reaches libc through dlsym(RTLD_NEXT) and
//   knows nothing of fibers.
// - The runtime (io/hooks/runtime.cpp, inside libspindle, in the program): parks the running fiber
//   on descriptor readiness through its loop's Asio reactor, on the loop's clock, on the worker
//   pool. It calls no hooked function itself.
//
// The shim finds the runtime with dlsym(RTLD_DEFAULT, "spindle_hooks_runtime_v1"): every program
// linked with spindle exports that symbol (the dependency's link arguments), so the shim works when
// linked and when preloaded, and a program without spindle sees plain libc.
#include <cstddef>
#include <cstdint>

extern "C" {

// One descriptor a hooked call waits on: `gen` is the shim's generation of that descriptor number
// (it changes when the number is closed or reused), `events` POLLIN / POLLOUT / POLLPRI.
struct spindle_hook_fd {
  int fd;
  short events;
  std::uint64_t gen;
};

// How a wait ended.
enum spindle_hook_wait : int {
  SPINDLE_HOOK_READY = 0,      // some descriptor may be ready (or the sleep ended)
  SPINDLE_HOOK_TIMED_OUT = 1,  // the timeout passed first
  SPINDLE_HOOK_CANCELLED = 2,  // the fiber's scope was cancelled: the call fails with ECANCELED
  SPINDLE_HOOK_CLOSED = 3,     // a descriptor was closed while the fiber waited: EBADF
};

struct spindle_hooks_runtime {
  int version;  // 1
  // True on a fiber of a running loop with hooks on: only then may a hooked call park.
  bool (*in_fiber)();
  // The loop's clock (virtual or real), in nanoseconds on its own epoch: what timeouts count on.
  std::int64_t (*now)();
  // Parks until one of `fds` is signalled ready, or `timeout_ns` (< 0: none) passes on the loop's
  // clock, or the fiber is cancelled. `what` names the wait ("read", "poll") for diagnostics. With
  // n == 0 it is a sleep on the loop's clock.
  int (*wait)(const spindle_hook_fd* fds, std::size_t n, std::int64_t timeout_ns, const char* what);
  // False when this loop knows that `fd` (generation `gen`) has had no readiness for `events`
  // since a call on it last found it not ready: trying again would only fail with EAGAIN (Asio's
  // speculative-operation rule). True when it may be ready or the loop does not know it.
  bool (*maybe_ready)(int fd, std::uint64_t gen, short events);
  // A call found `fd` drained for `events` (a stream socket's read returned less than asked):
  // maybe_ready says false until an event arrives.
  void (*drained)(int fd, std::uint64_t gen, short events);
  // Runs fn(arg) on the worker pool while the fiber parks. Returns SPINDLE_HOOK_READY once fn has
  // returned, or SPINDLE_HOOK_CANCELLED if the fiber was cancelled: fn then either never started
  // (already cancelled) or has finished; `arg` must tell which.
  int (*run_blocking)(void (*fn)(void*), void* arg);
  // Descriptor `fd` of generation `gen` is being closed: fibers of this thread's loop parked on it
  // wake with SPINDLE_HOOK_CLOSED and the loop forgets it (called before the real close).
  void (*closing)(int fd, std::uint64_t gen);
  // Debug mode: a call that could not be hooked blocked the loop for `ns`; logs it once per call
  // site kind, naming the fiber.
  void (*report_blocking)(const char* call, int fd, std::int64_t ns);
  // Whether debug mode is on for this thread's loop.
  bool (*debug)();
};

// Exported by the runtime; the shim calls it once.
const spindle_hooks_runtime* spindle_hooks_runtime_v1();
}
