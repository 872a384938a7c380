#include "scheduler/loop.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "scheduler/detail/callback.hpp"
#include "scheduler/detail/hot_path.hpp"
#include "scheduler/detail/logger.hpp"
#include "scheduler/detail/running.hpp"
#include "scheduler/detail/shuffler.hpp"
#include "scheduler/diagnostics.hpp"
#include "scheduler/instrument.hpp"

namespace spindle {
constinit thread_local Loop* detail::t_running_loop = nullptr;

namespace {

// Direct fiber-to-fiber switches between visits to the loop's own context, while timers, I/O or
// cross-thread callbacks are pending (so they cannot be starved by fibers that keep yielding).
constexpr unsigned kSwitchesBetweenPolls = 64;

// Brackets one look at the reactor with the instrument's poll events.
class PollEvents {
 public:
  PollEvents(Instrument* in, bool blocking) noexcept : in_(in) {
    if (in_) [[unlikely]] in_->on_poll_begin(blocking);
  }
  ~PollEvents() {
    if (in_) [[unlikely]] in_->on_poll_end();
  }
  PollEvents(const PollEvents&) = delete;
  PollEvents& operator=(const PollEvents&) = delete;

 private:
  Instrument* in_;
};

bool debug_from_env() {
  const char* v = std::getenv("SPINDLE_DEBUG");
  return v && std::string_view(v) != "0" && *v;
}

bool hooks_off_by_env() {
  const char* v = std::getenv("SPINDLE_HOOKS");
  return v && std::string_view(v) == "0";
}
}  // namespace

struct Loop::Reactor {
  boost::asio::io_context io{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  boost::asio::steady_timer wake{io};
  std::optional<TimePoint> wake_armed;
};

// ---- handles ---------------------------------------------------------------------------------

TimerHandle::TimerHandle(detail::Callback* c) noexcept : cb_(c) {
  if (cb_) cb_->add_ref();
}
TimerHandle::TimerHandle(const TimerHandle& o) noexcept : TimerHandle(o.cb_) {}
TimerHandle& TimerHandle::operator=(TimerHandle o) noexcept {
  std::swap(cb_, o.cb_);
  return *this;
}
TimerHandle::~TimerHandle() {
  if (cb_) cb_->release();
}
void TimerHandle::cancel() {
  if (!cb_ || cb_->cancelled) return;
  cb_->cancelled = true;
  cb_->fn = nullptr;  // drop what it captured now
  if (cb_->timer.armed()) {
    cb_->loop->disarm(cb_->timer);
    cb_->release();  // the timer heap's reference
  }
}
bool TimerHandle::cancelled() const { return cb_ && cb_->cancelled; }
std::optional<TimePoint> TimerHandle::when() const {
  if (!cb_ || !cb_->has_deadline) return std::nullopt;
  return cb_->timer.deadline;
}

void detail::Callback::on_due(TimerNode& t) {
  auto* c = static_cast<Callback*>(t.context);
  c->loop->ready_queue_push(*c);  // the heap's reference passes to the ready queue
}

KeepAlive::KeepAlive(Loop* l) noexcept : loop_(l) {
  if (loop_) loop_->add_external();
}
KeepAlive& KeepAlive::operator=(KeepAlive&& o) noexcept {
  if (this != &o) {
    if (loop_) loop_->remove_external();
    loop_ = std::exchange(o.loop_, nullptr);
  }
  return *this;
}
KeepAlive::~KeepAlive() {
  if (loop_) loop_->remove_external();
}

// ---- the loop --------------------------------------------------------------------------------

Loop::Loop() = default;
Loop::~Loop() = default;

Loop& Loop::for_this_thread() {
  thread_local Loop loop;
  return loop;
}

Loop* Loop::running_on_this_thread() noexcept { return detail::t_running_loop; }

Loop& this_loop() {
  if (!detail::t_running_loop) throw std::logic_error("spindle: no running loop on this thread (call run())");
  return *detail::t_running_loop;
}

TimePoint now() { return this_loop().time(); }

TimePoint Loop::time() const {
  return clock_ == ClockKind::virtual_time ? virtual_now_ : std::chrono::steady_clock::now();
}

boost::asio::io_context& Loop::io_context() {
  if (!reactor_) throw std::logic_error("spindle::Loop::io_context: the loop is closed");
  return reactor_->io;
}

void Loop::ready_queue_push(detail::Runnable& r) { ready_.push_back(&r); }

detail::Runnable* Loop::ready_front() {
  return random_schedule_ ? ready_.front_shuffled(*shuffler_) : ready_.front();
}

detail::Runnable* Loop::ready_pop() {
  return random_schedule_ ? ready_.pop_front_shuffled(*shuffler_) : ready_.pop_front();
}

// Under FIFO the generator only serves random_below, from a fixed seed.
constexpr std::uint64_t kFifoGeneratorSeed = 0x5b1d1e;

std::uint64_t Loop::random_below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("spindle::Loop::random_below: n must be at least 1");
  if (!shuffler_) shuffler_ = std::make_unique<detail::Shuffler>(kFifoGeneratorSeed);
  return shuffler_->below(n);
}

TimerHandle Loop::call_soon(std::function<void()> fn) {
  auto* c = new detail::Callback(this, std::move(fn));
  TimerHandle h(c);
  ready_.push_back(c);  // the queue keeps the initial reference
  return h;
}

TimerHandle Loop::call_at(TimePoint when, std::function<void()> fn) {
  auto* c = new detail::Callback(this, std::move(fn));
  c->has_deadline = true;
  TimerHandle h(c);
  timers_.arm(c->timer, when);  // the heap keeps the initial reference
  if (!c->timer.armed()) c->release();  // when = never: only the handles keep it
  return h;
}

TimerHandle Loop::call_later(Duration delay, std::function<void()> fn) {
  return call_at(saturating_add(time(), std::max(delay, Duration::zero())), std::move(fn));
}

void Loop::call_soon_threadsafe(std::function<void()> fn) {
  std::lock_guard lock(threadsafe_mutex_);
  if (closed_.load(std::memory_order_relaxed)) {
    throw std::logic_error("spindle::Loop::call_soon_threadsafe: the loop is closed");
  }
  threadsafe_pending_.fetch_add(1, std::memory_order_relaxed);
  boost::asio::post(reactor_->io, [this, fn = std::move(fn)]() mutable {
    threadsafe_pending_.fetch_sub(1, std::memory_order_relaxed);
    call_soon(std::move(fn));
  });
}

void Loop::add_live(detail::TaskBase& t) noexcept {
  t.live_prev = nullptr;
  t.live_next = live_head_;
  if (live_head_) live_head_->live_prev = &t;
  live_head_ = &t;
  ++live_count_;
}

void Loop::remove_live(detail::TaskBase& t) noexcept {
  if (t.live_prev) t.live_prev->live_next = t.live_next; else live_head_ = t.live_next;
  if (t.live_next) t.live_next->live_prev = t.live_prev;
  t.live_prev = t.live_next = nullptr;
  --live_count_;
}

bool Loop::has_external_work() const {
  return !timers_.empty() || external_ > 0 || main_just_finished() ||
         threadsafe_pending_.load(std::memory_order_relaxed) > 0;
}

// ---- switching -------------------------------------------------------------------------------

SPINDLE_HOT_PATH void Loop::suspend() {
  detail::TaskBase* self = current_;
  detail::Runnable* next = ready_.front();
  // Fast path: straight to the next ready fiber (one switch, nothing else to look at).
  if (next && next->kind == detail::Runnable::Kind::fiber &&
      ++switches_ < kSwitchesBetweenPolls && !observe_switches_) [[likely]] {
    ready_.pop_front();
    if (next == self) return;  // a yield with nothing else to run
    auto* to = static_cast<detail::TaskBase*>(next);
    current_ = to;
    if (fibers::Fiber* dead = fibers::switch_to(*self, *to)) [[unlikely]] after_switch(dead);
    return;
  }
  suspend_slow(self, next);
}

void Loop::suspend_slow(detail::TaskBase* self, detail::Runnable* next) {
  if (random_schedule_) next = ready_front();
  if (debug_) debug_check_slow(*self);
  if (instrument_ && self->waiter) {  // park's event, here so that park itself has no branch
    detail::note_park(*instrument_, *self, self->waiter->what(), self->waiter->queue());
  }
  bool visit_loop = !next || next->kind != detail::Runnable::Kind::fiber;
  if (!visit_loop && switches_ >= kSwitchesBetweenPolls) {
    visit_loop = has_external_work();  // the loop polls as soon as it runs (run_ready)
    if (!visit_loop) switches_ = 0;
  }
  if (!visit_loop) {
    ready_pop();
    if (next == self) return;
    auto* to = static_cast<detail::TaskBase*>(next);
    current_ = to;
    after_switch(fibers::switch_to(*self, *to));
  } else {
    current_ = nullptr;
    after_switch(fibers::switch_to(*self, loop_fiber_));
  }
}

fibers::Fiber* Loop::next_after_exit() {
  if (debug_) debug_check_slow(*current_);
  detail::Runnable* next = ready_front();
  if (next && next->kind == detail::Runnable::Kind::fiber && current_ != main_) {
    ready_pop();
    auto* to = static_cast<detail::TaskBase*>(next);
    current_ = to;
    return to;
  }
  current_ = nullptr;
  return &loop_fiber_;
}

void Loop::debug_note_resumed() noexcept { debug_resumed_at_ = std::chrono::steady_clock::now(); }

void Loop::switch_into(detail::TaskBase& t) {
  current_ = &t;
  after_switch(fibers::switch_to(loop_fiber_, t));
  current_ = nullptr;
}

void Loop::debug_check_slow(detail::TaskBase& t) {
  const auto ran = std::chrono::steady_clock::now() - debug_resumed_at_;
  if (ran > std::chrono::milliseconds(100)) {
    detail::logger().warn("fiber '{}' (id {}) ran {} ms without parking (blocking the loop?)",
                          t.display_name(), t.id,
                          std::chrono::duration_cast<std::chrono::milliseconds>(ran).count());
  }
}

// ---- driving ---------------------------------------------------------------------------------

void Loop::run_callback(detail::Callback& c) noexcept {
  if (!c.cancelled && c.fn) {
    try {
      auto fn = std::move(c.fn);
      c.fn = nullptr;
      fn();
    } catch (const std::exception& e) {
      detail::logger().error("exception in loop callback: {}", e.what());
    } catch (const CancelledError&) {
      detail::logger().error("CancelledError escaped a loop callback");
    } catch (...) {  // the loop's own context, never a fiber: no forced unwind passes here
      detail::logger().error("exception in loop callback: unknown exception type");
    }
  }
  c.release();
}

void Loop::run_ready() {
  // Returns to drive() as soon as the main fiber is done, so leftovers get reaped even if some
  // fiber keeps yielding forever. switches_ counts the fibers' own switches too (suspend).
  while (!ready_.empty() && !main_just_finished()) {
    if (++switches_ >= kSwitchesBetweenPolls && has_external_work()) {
      switches_ = 0;
      poll_reactor();
      fire_due_timers();
    }
    detail::Runnable* r = ready_pop();
    if (r->kind == detail::Runnable::Kind::fiber) {
      switch_into(*static_cast<detail::TaskBase*>(r));
    } else {
      run_callback(*static_cast<detail::Callback*>(r));
    }
  }
}

bool Loop::fire_due_timers() {
  if (timers_.empty()) return false;
  const TimePoint t = time();
  cached_now_ = t;
  bool any = false;
  while (detail::TimerNode* n = timers_.pop_due(t)) {
    n->fire(*n);
    any = true;
  }
  return any;
}

// Waits up to `real` (wall time) for one reactor event; false if none came.
bool Loop::wait_reactor_for(Duration real) {
  trim_stacks_if_due();
  // Asio's run_one_for(real) adds `real` to now() unchecked: Duration::max() would overflow.
  const auto until = saturating_add(std::chrono::steady_clock::now(), real);
  PollEvents events(instrument_, true);
  if (reactor_->io.run_one_until(until) == 0) return false;
  reactor_->io.poll();
  return true;
}

bool Loop::poll_reactor() {
  if (external_ == 0 && threadsafe_pending_.load(std::memory_order_relaxed) == 0) return false;
  PollEvents events(instrument_, false);
  return reactor_->io.poll() > 0;
}

// A stack is given back after it stayed free for a whole interval, so after a burst of fibers the
// second trim returns them all: the idle loop wakes for those trims, then waits as long as it likes.
constexpr Duration kTrimInterval = std::chrono::seconds(1);

void Loop::trim_stacks_if_due() {
  const TimePoint t = time();
  if (t - last_trim_ < kTrimInterval) return;
  last_trim_ = t;
  fibers::StackPool::trim_all_idle();
}

// `until`, or sooner if a trim will be due before it with stacks left to give back.
std::optional<TimePoint> Loop::until_next_trim(std::optional<TimePoint> until) const {
  if (!fibers::StackPool::any_untrimmed()) return until;
  const TimePoint trim_at = last_trim_ + kTrimInterval;
  return until ? std::min(*until, trim_at) : trim_at;
}

void Loop::wait_reactor(std::optional<TimePoint> until) {
  trim_stacks_if_due();
  Reactor& r = *reactor_;
  if (until && r.wake_armed != until) {
    r.wake.expires_at(*until);
    r.wake.async_wait([&r](const boost::system::error_code&) { r.wake_armed.reset(); });
    r.wake_armed = until;
  }
  PollEvents events(instrument_, true);
  r.io.run_one();
  r.io.poll();
}

void Loop::cancel_all_live(const char* why) {
  for (detail::TaskBase* t = live_head_; t; t = t->live_next) t->root_scope.cancel(why);
}

void Loop::drive(detail::TaskBase& main) {
  main_ = &main;
  reaping_ = false;
  std::string deadlock;
  for (;;) {
    run_ready();
    if (!reaping_ && main.done()) reaping_ = true;
    if (reaping_) {
      // Callbacks queued before the main fiber ended still run (asyncio does the same).
      if (live_count_ == 0 && ready_.empty()) break;
      // Also catches fibers spawned while others were being reaped; cancel() is idempotent.
      cancel_all_live(deadlock.empty() ? "run() is ending: leftover fiber cancelled" : "deadlock");
      if (!ready_.empty()) continue;
    }
    if (fire_due_timers() || poll_reactor()) continue;
    // Idle: nothing is ready, every fiber is parked.
    if (!reaping_ && all_blocked_.wake_one()) continue;
    const bool external = external_ > 0 || threadsafe_pending_.load() > 0;
    if (external && clock_ == ClockKind::virtual_time && autojump_threshold_ && !timers_.empty()) {
      if (!wait_reactor_for(*autojump_threshold_)) virtual_now_ = std::max(virtual_now_, timers_.earliest());
      continue;
    }
    if (external) {
      std::optional<TimePoint> until;
      if (!timers_.empty() && clock_ == ClockKind::real) until = timers_.earliest();
      wait_reactor(clock_ == ClockKind::real ? until_next_trim(until) : until);
      continue;
    }
    if (!timers_.empty()) {
      if (clock_ == ClockKind::virtual_time) {
        trim_stacks_if_due();
        virtual_now_ = std::max(virtual_now_, *until_next_trim(timers_.earliest()));
      } else {
        wait_reactor(until_next_trim(timers_.earliest()));
      }
      continue;
    }
    if (!reaping_) {  // the main fiber is parked and nothing can ever wake anything
      std::ostringstream out;
      out << "deadlock: every fiber is parked and nothing (timer, I/O, thread) can wake them:\n";
      describe_parked(*this, out);
      deadlock = out.str();
      reaping_ = true;
      continue;
    }
    destroy_stuck_fibers();
    break;
  }
  if (!deadlock.empty()) throw DeadlockError(deadlock);
}

void Loop::destroy_stuck_fibers() noexcept {
  // Fibers parked inside a shield with nothing left to wake them: unwind their stacks.
  std::ostringstream out;
  describe_parked(*this, out);
  detail::logger().error("run(): fibers could not be reaped (parked in a shielded wait); "
                         "unwinding them:\n{}", out.str());
  while (detail::TaskBase* t = live_head_) {
    current_ = t;
    after_switch(fibers::unwind(loop_fiber_, *t));  // run_on_fiber takes it off the live list
    current_ = nullptr;
  }
}

namespace detail {
void blocking_call_hooks() noexcept;
}

void Loop::open(const RunOptions& opts) {
  detail::blocking_call_hooks();
  if (running_) throw std::logic_error("spindle::run called inside a running loop");
  if (detail::t_running_loop) throw std::logic_error("spindle::run called inside a running loop");
  const std::optional<std::uint64_t> seed = opts.schedule.seed();  // may throw: before any change
  clock_ = opts.clock;
  debug_ = opts.debug || debug_from_env();
  hooks_ = opts.hooks && !hooks_off_by_env();
  stack_size_ = opts.stack_size ? opts.stack_size : fibers::StackPool::default_stack_size();
  autojump_threshold_ = opts.autojump_threshold;
  instrument_ = opts.instrument;
  seed_ = seed;
  random_schedule_ = seed_.has_value();
  shuffler_ = seed_ ? std::make_unique<detail::Shuffler>(*seed_) : nullptr;
  ready_.end_batch();
  observe_switches_ = debug_ || instrument_ || random_schedule_;
  switches_ = 0;
  default_pool_ = &fibers::StackPool::for_size(stack_size_);
  virtual_now_ = std::chrono::steady_clock::now();
  cached_now_ = virtual_now_;
  // A previous run on this thread may have left its (virtual) clock far ahead: trims count from now.
  last_trim_ = virtual_now_;
  reactor_ = std::make_unique<Reactor>();
  {
    std::lock_guard lock(threadsafe_mutex_);
    closed_.store(false, std::memory_order_release);
  }
  running_ = true;
  detail::t_running_loop = this;
  debug_resumed_at_ = std::chrono::steady_clock::now();
}

void Loop::close() noexcept {
  {
    std::lock_guard lock(threadsafe_mutex_);
    closed_.store(true, std::memory_order_release);
  }
  // Callbacks that never ran (scheduled after the main fiber ended) are dropped.
  while (!ready_.empty()) {
    detail::Runnable* r = ready_.pop_front();
    if (r->kind == detail::Runnable::Kind::callback) static_cast<detail::Callback*>(r)->release();
  }
  while (detail::TimerNode* n = timers_.pop_due(TimePoint::max())) {
    // Only call_later callbacks can still be armed here: every fiber's own timers are gone.
    static_cast<detail::Callback*>(n->context)->release();
  }
  services_.shutdown();  // services may own I/O objects of the reactor's io_context
  reactor_.reset();
  threadsafe_pending_.store(0);
  external_ = 0;
  running_ = false;
  main_ = nullptr;
  instrument_ = nullptr;
  observe_switches_ = false;
  random_schedule_ = false;
  shuffler_.reset();
  ready_.end_batch();
  detail::t_running_loop = nullptr;
}

detail::RunSession::RunSession(const RunOptions& opts) : loop_(Loop::for_this_thread()) {
  loop_.open(opts);
}
detail::RunSession::~RunSession() {
  // A run failing under a random schedule says how to replay it (also for a DeadlockError).
  if (loop_.seed_ && std::uncaught_exceptions() > uncaught_) {
    std::fprintf(stderr, "spindle: this run failed under Schedule::random; SPINDLE_SEED=%llu "
                 "replays its schedule\n", static_cast<unsigned long long>(*loop_.seed_));
  }
  loop_.close();
}

}  // namespace spindle
