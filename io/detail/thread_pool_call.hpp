#pragma once
// The machinery under to_thread / run_in_executor / block_on (io/thread_pool.hpp).
//
// ThreadCall lives on the calling fiber's stack: it is the pool's job node (intrusive, no
// allocation besides the one completion callback), it holds f's result, and it parks the fiber on
// its Waiter. The worker runs f, then hands the completion to the loop through
// Loop::call_soon_threadsafe, the loop's only thread-safe entry; the loop thread wakes the fiber.
// Cancellation never wakes it early (f may use the fiber's stack): the fiber leaves only after
// f has returned, so nothing ever writes into a dead stack.
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "fibers/fiber.hpp"
#include "scheduler/lowlevel.hpp"

namespace spindle {
class Loop;
}

namespace spindle::detail {

// One unit of work for a ThreadPool (or any Asio executor). Owned by whoever submitted it; it must
// stay alive until run or drop has been called, exactly once.
struct PoolJob {
  void (*run)(PoolJob&) noexcept = nullptr;   // on a worker thread
  void (*drop)(PoolJob&) noexcept = nullptr;  // the executor destroyed the job without running it
  PoolJob* next = nullptr;
};

// The outcome of calling something: its value (void → monostate, T& → T*) or its exception.
template <class R>
class ResultSlot {
 public:
  // Calls fn and keeps what it returned or threw. ForcedUnwind (a fiber being unwound) passes on.
  template <class Fn>
  void run(Fn&& fn) noexcept(false) {
    try {
      if constexpr (std::is_void_v<R>) {
        std::forward<Fn>(fn)();
        value_.emplace();
      } else if constexpr (std::is_reference_v<R>) {
        value_.emplace(&std::forward<Fn>(fn)());
      } else {
        value_.emplace(std::forward<Fn>(fn)());
      }
    } catch (const fibers::ForcedUnwind&) {
      throw;
    } catch (...) {  // the call's own outcome, handed to whoever waits for it
      error_ = std::current_exception();
    }
  }
  void fail(std::exception_ptr e) noexcept { error_ = std::move(e); }
  bool has_outcome() const { return error_ || value_.has_value(); }
  // The value (moved out) or the exception, rethrown. Call once. The exception is moved out too:
  // its owner (block_on's state) may be destroyed on another thread while the caller still reads
  // the exception, and exception_ptr's reference count lives in uninstrumented libstdc++, so
  // ThreadSanitizer could not see that hand-over.
  R take() {
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    if constexpr (std::is_void_v<R>) {
      return;
    } else if constexpr (std::is_reference_v<R>) {
      return static_cast<R>(**value_);
    } else {
      return std::move(*value_);
    }
  }

 private:
  using Stored = std::conditional_t<
      std::is_void_v<R>, std::monostate,
      std::conditional_t<std::is_reference_v<R>, std::add_pointer_t<R>, R>>;
  std::optional<Stored> value_;
  std::exception_ptr error_;
};

// The type-independent half of one to_thread / run_in_executor call.
class ThreadCallBase : public PoolJob {
 public:
  // Throws CancelledError at once (before anything is submitted) if the fiber is cancelled.
  explicit ThreadCallBase(const char* what);
  ~ThreadCallBase();
  ThreadCallBase(const ThreadCallBase&) = delete;
  ThreadCallBase& operator=(const ThreadCallBase&) = delete;

  // Parks until the job has run (or was dropped); cancellation meanwhile is held back until then.
  // Afterwards throws CancelledError if the fiber's scope is cancelled (the outcome is discarded).
  void wait();
  // The job is handed over; from here on the loop counts it as outstanding work. Call right
  // before submitting it.
  void submitted() noexcept;

 protected:
  // On the worker, after f ran (or on whichever thread dropped the job): posts the completion.
  void finished_off_loop() noexcept;

 private:
  static void on_cancel(Waiter&) noexcept {}  // stay parked: f may still use this stack
  void completed_on_loop() noexcept;

  Waiter waiter_;
  Loop* loop_;
  lowlevel::Outstanding outstanding_;  // from submitted() until the completion reaches the loop
};

template <class R, class Fn>
class ThreadCall : public ThreadCallBase {
 public:
  ThreadCall(const char* what, Fn& fn) : ThreadCallBase(what), fn_(fn) {
    run = &ThreadCall::run_job;
    drop = &ThreadCall::drop_job;
  }
  // wait(), then f's value or exception.
  R get() {
    wait();
    return slot_.take();
  }

 private:
  static void run_job(PoolJob& j) noexcept {
    auto& self = static_cast<ThreadCall&>(j);
    self.slot_.run(self.fn_);  // a worker thread, never a fiber: no ForcedUnwind can come here
    self.finished_off_loop();
  }
  static void drop_job(PoolJob& j) noexcept;

  Fn& fn_;
  ResultSlot<R> slot_;
};

// The executor's refusal to run a job, as the exception the caller gets.
std::exception_ptr dropped_job_error();

template <class R, class Fn>
void ThreadCall<R, Fn>::drop_job(PoolJob& j) noexcept {
  auto& self = static_cast<ThreadCall&>(j);
  self.slot_.fail(dropped_job_error());
  self.finished_off_loop();
}

// An Asio handler that runs a PoolJob; destroyed unrun (its executor shut down) → the job's drop.
class PostedJob {
 public:
  explicit PostedJob(PoolJob& j) noexcept : job_(&j) {}
  PostedJob(PostedJob&& o) noexcept : job_(std::exchange(o.job_, nullptr)) {}
  PostedJob& operator=(PostedJob&&) = delete;
  ~PostedJob() {
    if (job_) job_->drop(*job_);
  }
  void operator()() {
    PoolJob* j = std::exchange(job_, nullptr);
    j->run(*j);
  }

 private:
  PoolJob* job_;
};

// What a foreign thread in block_on waits for: the fiber's outcome, set on the loop thread.
class BlockOnCore {
 public:
  BlockOnCore() = default;
  BlockOnCore(const BlockOnCore&) = delete;
  BlockOnCore& operator=(const BlockOnCore&) = delete;
  // The fiber never reported (the loop closed before it ran, or it was unwound): the foreign
  // thread gets `why` instead of hanging. A no-op once finished.
  void abandon(std::exception_ptr why) noexcept;

 protected:
  ~BlockOnCore() = default;
  // Blocks the calling (foreign) thread until finish() or abandon(); rethrows abandon's error.
  void wait_finished();
  void finish() noexcept;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::exception_ptr abandoned_;
};

template <class R>
class BlockOnState final : public BlockOnCore {
 public:
  // In the fiber: runs fn and publishes its outcome.
  template <class Fn>
  void run(Fn& fn) {
    slot_.run(fn);
    finish();
  }
  // The fiber could not even be spawned.
  void fail(std::exception_ptr e) noexcept {
    slot_.fail(std::move(e));
    finish();
  }
  // On the foreign thread.
  R get() {
    wait_finished();
    return slot_.take();
  }

 private:
  ResultSlot<R> slot_;
};

std::exception_ptr block_on_abandoned_error();

// Held by everything on the loop's side of one block_on (the posted callback, the fiber's
// closure): when the last copy goes away, a fiber that never reported is reported as abandoned.
class BlockOnGuard {
 public:
  explicit BlockOnGuard(std::shared_ptr<BlockOnCore> core) : core_(std::move(core)) {}
  BlockOnGuard(const BlockOnGuard&) = delete;
  BlockOnGuard& operator=(const BlockOnGuard&) = delete;
  ~BlockOnGuard() { core_->abandon(block_on_abandoned_error()); }

 private:
  std::shared_ptr<BlockOnCore> core_;
};

// Checks that block_on may wait for `loop` from this thread (not the loop's own thread).
void check_block_on(const Loop& loop);
// call_soon_threadsafe, with the closed-loop error reworded for block_on.
void post_block_on(Loop& loop, std::function<void()> fn);

}  // namespace spindle::detail
