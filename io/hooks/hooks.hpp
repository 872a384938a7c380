#pragma once
// Unmodified blocking code in fibers (gevent's monkey.patch_all, Go's netpoller): with the
// spindle-hooks library linked (Meson dependency('spindle-hooks'), pkg-config spindle-hooks) or
// preloaded (LD_PRELOAD=libspindle_hooks.so), libc's blocking calls made from a fiber park that
// fiber instead of the thread: read/write/recv/send and friends, connect/accept, poll/ppoll/
// select, the sleeps, getaddrinfo/gethostbyname(_r). Elsewhere (other threads, loop callbacks,
// RunOptions{.hooks = false}, SPINDLE_HOOKS=0) each is exactly libc's.
//
// What a foreign library sees: descriptors keep looking blocking (F_GETFL shows only what it set;
// a child process inherits them blocking); a blocking write/send writes everything or fails;
// SO_RCVTIMEO/SO_SNDTIMEO hold (EAGAIN after that long); close() from another fiber wakes the
// parked ones with EBADF; cancellation (or a timeout deadline) makes the parked call fail with
// ECANCELED, never an exception through the library's frames, and CancelledError comes at the
// fiber's next spindle call (a timeout whose deadline fired throws TimeoutError when its body
// returns). The exact rules are in io/hooks/README.md.
namespace spindle {

// Whether a hooked call made here would park the running fiber: the hooks library is loaded, this
// is a fiber of a running loop, and that loop has hooks on.
bool hooks_active();

}  // namespace spindle
