// Stack overflow reporting: a SIGSEGV on an alternate signal stack maps the faulting address to
// the guard page of a fiber stack and names that fiber before aborting. Everything here is
// async-signal-safe: fixed tables, write(2), no allocation.
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "fibers/default_name.hpp"
#include "fibers/detail/slab_registry.hpp"
#include "fibers/fatal.hpp"
#include "fibers/fiber.hpp"

namespace spindle::fibers::detail {
namespace {

constexpr std::size_t kMaxSlabs = 1 << 16;
constexpr std::size_t kAltStackSize = 64 * 1024;
std::array<SlabRecord, kMaxSlabs> g_slabs;
std::atomic<std::uint32_t> g_slab_count{0};
std::mutex g_register_mutex;
struct sigaction g_previous_segv;
struct sigaction g_previous_bus;

// Appends to a fixed buffer; the handler writes the whole report at once.
struct Report {
  char buf[512];
  std::size_t n = 0;
  void add(const char* s) {
    while (*s && n < sizeof buf) buf[n++] = *s++;
  }
  void add(std::uint64_t v) {
    char tmp[24];
    int i = 0;
    do tmp[i++] = static_cast<char>('0' + v % 10); while ((v /= 10) && i < 24);
    while (i > 0 && n < sizeof buf) buf[n++] = tmp[--i];
  }
};

const Fiber* fiber_for_guard_hit(const std::byte* addr, std::size_t page) {
  const std::uint32_t count = g_slab_count.load(std::memory_order_acquire);
  for (std::uint32_t i = 0; i < count; ++i) {
    const SlabRecord& r = g_slabs[i];
    if (addr < r.base || addr >= r.base + r.stride * r.slots) continue;
    const std::size_t slot = static_cast<std::size_t>(addr - r.base) / r.stride;
    const std::size_t offset = static_cast<std::size_t>(addr - r.base) % r.stride;
    return offset < page ? r.owners[slot] : nullptr;  // in the slot's guard page?
  }
  return nullptr;
}

void on_segv(int sig, siginfo_t* info, void* ctx) {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const Fiber* f = fiber_for_guard_hit(static_cast<const std::byte*>(info->si_addr), page);
  if (f) {
    Report r;
    r.add("spindle: stack overflow in fiber '");
    r.add(f->name.empty() ? default_name(f->id).text : f->name.c_str());
    r.add("' (id ");
    r.add(f->id);
    r.add(", stack_size ");
    r.add(f->stack.size);
    r.add(" bytes): raise stack_size in SpawnOptions or RunOptions\n");
    (void)!write(STDERR_FILENO, r.buf, r.n);
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  // Not ours: hand over to whatever was installed before (default: core dump).
  const struct sigaction& prev = sig == SIGBUS ? g_previous_bus : g_previous_segv;
  if (prev.sa_flags & SA_SIGINFO) {
    prev.sa_sigaction(sig, info, ctx);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

std::uint32_t register_slab(const SlabRecord& r) {
  std::lock_guard lock(g_register_mutex);
  const std::uint32_t i = g_slab_count.load(std::memory_order_relaxed);
  // 65,536 slabs of 32 MiB = 2 TiB of stacks; slabs of ended threads are reused, so only that many
  // stacks in use at once get here.
  if (i >= kMaxSlabs) fatal("out of fiber stack slabs: 65,536 slabs are mapped");
  g_slabs[i] = r;
  g_slab_count.store(i + 1, std::memory_order_release);
  return i;
}

SlabRecord& slab(std::uint32_t index) { return g_slabs[index]; }
std::uint32_t slab_count() noexcept { return g_slab_count.load(std::memory_order_acquire); }

void install_overflow_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_previous_segv);
    sigaction(SIGBUS, &sa, &g_previous_bus);
  });
  // The handler runs on this thread's alternate stack: the faulting fiber's stack is exhausted.
  struct AltStack {
    std::unique_ptr<std::byte[]> mem;
    AltStack() {
      stack_t current{};
      if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;
      mem = std::make_unique<std::byte[]>(kAltStackSize);
      stack_t ss{};
      ss.ss_sp = mem.get();
      ss.ss_size = kAltStackSize;
      sigaltstack(&ss, nullptr);
    }
    ~AltStack() {
      if (!mem) return;
      stack_t ss{};
      ss.ss_flags = SS_DISABLE;
      sigaltstack(&ss, nullptr);
    }
  };
  thread_local AltStack alt_stack;
}

}  // namespace spindle::fibers::detail
