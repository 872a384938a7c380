#pragma once
// The event loop: one per thread, driven by run(). A single FIFO ready queue holds both fibers and
// callbacks; timers are the loop's own heap; Boost.Asio's io_context is the reactor for I/O and for
// the one thread-safe entry point, call_soon_threadsafe.
#include <atomic>
#include <exception>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "scheduler/clock.hpp"
#include "scheduler/detail/ready_queue.hpp"
#include "scheduler/detail/timer_heap.hpp"
#include "scheduler/schedule.hpp"
#include "scheduler/service.hpp"
#include "scheduler/sleep.hpp"
#include "scheduler/task.hpp"
#include "scheduler/timeout.hpp"
#include "scheduler/wait_queue.hpp"

namespace boost::asio {
class io_context;
}

namespace spindle {

class Instrument;

struct RunOptions {
  ClockKind clock = ClockKind::real;
  bool debug = false;          // also on when SPINDLE_DEBUG=1
  std::size_t stack_size = 0;  // default fiber stack in bytes; 0 = 128 KiB
  // Virtual clock only (Trio's autojump_threshold): also jump while I/O is outstanding, once the
  // reactor has been quiet for this long in real time. Unset: time never jumps while I/O is
  // pending. Tests with real sockets and timeouts set a few milliseconds. Duration::max() is
  // the same as unset; ≤ 0 jumps as soon as the reactor has nothing ready.
  std::optional<Duration> autojump_threshold = std::nullopt;
  // Receives the run's scheduling events (scheduler/instrument.hpp); must outlive the run.
  Instrument* instrument = nullptr;
  // With the hooks library linked or preloaded (io/hooks/hooks.hpp), blocking libc calls made by
  // this run's fibers park them. false (or SPINDLE_HOOKS=0) leaves them plain libc calls.
  bool hooks = true;
  // The order of what is ready at the same instant (scheduler/schedule.hpp): by default FIFO, or
  // shuffled with the seed in SPINDLE_SEED.
  Schedule schedule{};
};

namespace testing {
void wait_all_blocked();
}

namespace detail {
class Shuffler;
struct Callback;
struct TaskDiagnostics;
class RunSession;
}  // namespace detail
namespace lowlevel {
class Outstanding;
class LoopTimer;
}  // namespace lowlevel
template <class T>
class Future;

// Handle to a scheduled callback (call_soon/call_later/call_at); cancel() before it runs stops it.
class TimerHandle {
 public:
  TimerHandle() = default;
  explicit TimerHandle(detail::Callback* c) noexcept;
  TimerHandle(const TimerHandle& o) noexcept;
  TimerHandle& operator=(TimerHandle o) noexcept;
  ~TimerHandle();
  void cancel();
  bool cancelled() const;
  std::optional<TimePoint> when() const;  // empty for call_soon

 private:
  detail::Callback* cb_ = nullptr;
};

// While held, an idle loop is waiting for someone (e.g. a foreign thread's call_soon_threadsafe),
// not deadlocked. Movable, released on destruction.
class KeepAlive {
 public:
  KeepAlive() = default;
  explicit KeepAlive(class Loop* l) noexcept;
  KeepAlive(KeepAlive&& o) noexcept : loop_(std::exchange(o.loop_, nullptr)) {}
  KeepAlive& operator=(KeepAlive&& o) noexcept;
  ~KeepAlive();

 private:
  class Loop* loop_ = nullptr;
};

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Plain callbacks run on the loop, in the ready queue's FIFO order, not in a fiber: they must not
  // park. An exception escaping one is logged.
  TimerHandle call_soon(std::function<void()> fn);
  // A delay ≤ 0 runs fn as soon as call_soon would; Duration::max(), hours::max() or
  // TimePoint::max() never run it (the handle still says when() == TimePoint::max()).
  TimerHandle call_later(Duration delay, std::function<void()> fn);
  template <class Rep, class Period>
  TimerHandle call_later(std::chrono::duration<Rep, Period> delay, std::function<void()> fn) {
    return call_later(to_duration(delay), std::move(fn));
  }
  TimerHandle call_at(TimePoint when, std::function<void()> fn);
  // The only entry point that is safe from another thread. On a closed loop → std::logic_error.
  void call_soon_threadsafe(std::function<void()> fn);

  boost::asio::io_context& io_context();
  template <class IoContext = boost::asio::io_context>
  auto get_executor() {
    return static_cast<IoContext&>(io_context()).get_executor();
  }

  // asyncio's loop.create_future(): the same as constructing a Future<T> (defined in
  // sync/future.hpp, included by spindle.hpp). The one deliberate upward reference
  // (scheduler → sync): asyncio's API has it on the loop; only declared here.
  template <class T = void>
  Future<T> create_future();

  // asyncio's add_signal_handler: each time `sig` arrives, `fn` runs as a loop callback (queued like
  // call_soon; never inside the signal handler itself) until remove_signal_handler(sig) or the
  // loop closes. A second call for the same sig replaces fn. While any handler is installed the
  // loop counts as waiting for outside work (no DeadlockError). Signals that arrive close together
  // may run fn once. Not a signal, or one that cannot be caught (SIGKILL, SIGSTOP) or that spindle
  // handles itself (SIGSEGV) → std::invalid_argument naming the value. Defined in
  // io/signal_handlers.cpp, on a per-loop service: the loop itself knows nothing of signals.
  void add_signal_handler(int sig, std::function<void()> fn);
  // Removes the handler for sig and restores the signal's default action; false if none was set.
  bool remove_signal_handler(int sig);

  bool is_running() const { return running_; }
  bool is_closed() const { return closed_.load(std::memory_order_acquire); }
  KeepAlive keep_alive() { return KeepAlive(this); }
  TimePoint time() const;
  ClockKind clock() const { return clock_; }
  bool debug() const { return debug_; }
  bool hooks() const { return hooks_; }  // RunOptions::hooks and SPINDLE_HOOKS
  std::size_t default_stack_size() const { return stack_size_; }
  fibers::StackPool& default_pool() { return *default_pool_; }
  std::size_t timer_count() const { return timers_.size(); }
  std::size_t live_tasks() const { return live_count_; }
  Instrument* instrument() const { return instrument_; }  // RunOptions::instrument, or nullptr
  // The seed of this run's Schedule::random, or nullopt under FIFO.
  std::optional<std::uint64_t> schedule_seed() const { return seed_; }
  // Uniform in [0, n) (n ≥ 1) from the loop's generator: seeded by the schedule's seed, so a
  // choice made with it (select's pick among ready cases) replays with the seed; under FIFO its
  // seed is fixed, so runs are reproducible too.
  std::uint64_t random_below(std::uint64_t n);

  // The running fiber's task; nullptr while the loop runs a callback or itself.
  detail::TaskBase* current() const { return current_; }
  static Loop& for_this_thread();
  // This thread's loop if it is running, else nullptr.
  static Loop* running_on_this_thread() noexcept;

 private:
  // The runtime internals: only the scheduler's own parts drive the loop. sync/ and io/ reach it
  // through scheduler/lowlevel.hpp.
  friend class KeepAlive;
  friend class TimerHandle;
  friend class CancelScope;
  friend class Waiter;
  friend class detail::TaskBase;
  friend struct detail::Callback;
  friend class detail::RunSession;
  friend struct detail::TaskDiagnostics;
  friend class lowlevel::Outstanding;
  friend class lowlevel::LoopTimer;
  friend WakeReason park(Waiter&, std::optional<TimePoint>);
  friend void wake(Waiter&, WakeReason);
  friend void yield_now();
  friend void detail::start_task(detail::TaskBase&, SpawnOptions&&, CancelScope*);
  friend void testing::wait_all_blocked();
  friend std::optional<TimePoint> detail::deadline_after(std::optional<Duration>);

  void make_ready(detail::TaskBase& t) { ready_.push_back(&t); }
  // The ready queue's front and pop in the schedule's order (the FIFO fast path in suspend()
  // is taken only under FIFO).
  detail::Runnable* ready_front();
  detail::Runnable* ready_pop();
  void ready_queue_push(detail::Runnable& r);
  // Switches away from the running fiber, which must already be queued or parked.
  void suspend();
  // The fiber to continue with after a task's body has finished on its fiber.
  fibers::Fiber* next_after_exit();
  void after_switch(fibers::Fiber* dead) noexcept {
    if (debug_ && current_) debug_note_resumed();
    if (dead) static_cast<detail::TaskBase*>(dead)->release();  // the finished fiber's reference
  }
  void arm(detail::TimerNode& n, TimePoint deadline) { timers_.arm(n, deadline); }
  void disarm(detail::TimerNode& n) noexcept { timers_.disarm(n); }
  void add_live(detail::TaskBase& t) noexcept;
  void remove_live(detail::TaskBase& t) noexcept;
  template <class F>
  void for_each_live(F&& f) const {
    for (detail::TaskBase* t = live_head_; t; t = t->live_next) f(*t);
  }
  // Outstanding work the loop cannot see in its queues (lowlevel::Outstanding, KeepAlive).
  void add_external() noexcept { ++external_; }
  void remove_external() noexcept { --external_; }
  TimePoint cached_time() const { return cached_now_; }
  // A time that has certainly passed, without reading the clock (the real clock costs ~20 ns).
  TimePoint time_lower_bound() const {
    return clock_ == ClockKind::virtual_time ? virtual_now_ : cached_now_;
  }
  std::uint64_t next_task_id() { return ++task_ids_; }

  // Opens this thread's loop for one run(); `drive` runs until `main` is done and every other
  // fiber is reaped. Throws DeadlockError if the main fiber could never be woken again.
  void open(const RunOptions& opts);
  void drive(detail::TaskBase& main);
  void close() noexcept;

  void run_ready();
  void run_callback(detail::Callback& c) noexcept;
  bool fire_due_timers();
  bool poll_reactor();
  void wait_reactor(std::optional<TimePoint> until);
  bool wait_reactor_for(Duration real);
  bool has_external_work() const;
  void cancel_all_live(const char* why);
  void destroy_stuck_fibers() noexcept;
  void switch_into(detail::TaskBase& t);
  void debug_check_slow(detail::TaskBase& t);
  [[gnu::noinline]] void suspend_slow(detail::TaskBase* self, detail::Runnable* next);
  void trim_stacks_if_due();
  std::optional<TimePoint> until_next_trim(std::optional<TimePoint> until) const;
  void debug_note_resumed() noexcept;

  detail::TaskBase* current_ = nullptr;
  detail::TaskBase* main_ = nullptr;  // run()'s main fiber
  bool reaping_ = false;              // main is done; leftovers are being cancelled
  // The loop must take over now: the main fiber ended and leftovers are not being reaped yet.
  bool main_just_finished() const { return main_->done() && !reaping_; }
  detail::ReadyQueue ready_;
  bool random_schedule_ = false;
  std::optional<std::uint64_t> seed_;
  std::unique_ptr<detail::Shuffler> shuffler_;  // created for a random schedule or random_below
  // Fibers in testing::wait_all_blocked: one is woken each time the loop finds nothing ready.
  WaitQueue all_blocked_{"testing::wait_all_blocked"};
  detail::TimerHeap timers_;
  fibers::Fiber loop_fiber_;  // this thread's own context, where the loop itself runs
  unsigned switches_ = 0;  // since the reactor was last looked at: it is, every 64 (with work)
  ClockKind clock_ = ClockKind::real;
  bool debug_ = false;
  bool hooks_ = true;
  // Debug mode or an instrument: every switch away from a fiber takes suspend's slow path, which
  // reports to them.
  bool observe_switches_ = false;
  bool running_ = false;
  std::atomic<bool> closed_{true};
  std::size_t stack_size_ = 0;
  std::optional<Duration> autojump_threshold_;
  Instrument* instrument_ = nullptr;
  fibers::StackPool* default_pool_ = nullptr;
  TimePoint virtual_now_{};
  TimePoint cached_now_{};
  std::size_t external_ = 0;
  std::atomic<std::size_t> threadsafe_pending_{0};
  std::mutex threadsafe_mutex_;
  detail::TaskBase* live_head_ = nullptr;
  std::size_t live_count_ = 0;
  std::uint64_t task_ids_ = 0;
  std::chrono::steady_clock::time_point debug_resumed_at_{};
  TimePoint last_trim_{};  // on the loop's clock, so the virtual clock can jump to trims
  struct Reactor;
  std::unique_ptr<Reactor> reactor_;
  template <class S>
  friend S& use_service(Loop& loop);
  template <class S>
  friend S* find_service(Loop& loop) noexcept;
  detail::ServiceRegistry services_;  // shut down in close(), before the reactor
};

// The running loop of this thread; outside a running loop → std::logic_error.
Loop& this_loop();

template <class S>
S* find_service(Loop& loop) noexcept {
  return static_cast<S*>(loop.services_.find(detail::ServiceRegistry::key<S>()));
}

template <class S>
S& use_service(Loop& loop) {
  if (S* s = find_service<S>(loop)) return *s;
  if (loop.is_closed()) throw std::logic_error("spindle::use_service: the loop is closed");
  return static_cast<S&>(loop.services_.add(detail::ServiceRegistry::key<S>(),
                                            std::make_unique<S>(loop)));
}

namespace detail {
// RAII for one run() on this thread: opens the loop, closes it whatever happens.
class RunSession {
 public:
  explicit RunSession(const RunOptions& opts);
  ~RunSession();
  // Runs the loop until `main` is done and every other fiber is reaped.
  void drive(TaskBase& main) { loop_.drive(main); }

 private:
  Loop& loop_;
  int uncaught_ = std::uncaught_exceptions();  // more at destruction: the run is failing
};
}  // namespace detail

// Runs f(args...) as the main fiber on a fresh loop on this thread and returns its value (or
// rethrows its exception). On exit every fiber still alive is cancelled and reaped.
template <class F, class... Args,
          class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, RunOptions>>>
auto run(F&& f, Args&&... args);

template <class F, class... Args>
auto run(const RunOptions& opts, F&& f, Args&&... args) {
  detail::RunSession session(opts);
  auto main = spawn(SpawnOptions{.name = "main"}, std::forward<F>(f), std::forward<Args>(args)...);
  session.drive(*main.get_base());
  return main.result();
}

template <class F, class... Args, class>
auto run(F&& f, Args&&... args) {
  return run(RunOptions{}, std::forward<F>(f), std::forward<Args>(args)...);
}

}  // namespace spindle
