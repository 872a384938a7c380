#include "io/thread_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "scheduler/detail/logger.hpp"
#include "scheduler/errors.hpp"
#include "scheduler/lowlevel.hpp"

namespace spindle {

// ---- the pool --------------------------------------------------------------------------------
// Hand-written rather than boost::asio::thread_pool, which starts all its threads up front: the
// default pool may have 32 threads and most programs use few or none (Python starts them on demand).
// The queue is intrusive (the jobs live on the waiting fibers' stacks), so submitting allocates
// nothing.

struct ThreadPool::State {
  explicit State(std::size_t max) : max_threads(max) {}

  void worker() {
    pthread_setname_np(pthread_self(), "spindle-worker");
    std::unique_lock lock(mutex);
    for (;;) {
      ++idle;
      work.wait(lock, [this] { return head != nullptr || stopping; });
      --idle;
      if (!head) return;  // stopping, and every queued job has run
      detail::PoolJob* job = head;
      head = job->next;
      if (!head) tail = nullptr;
      --queued;
      lock.unlock();
      job->run(*job);  // `job` may be gone once this returns: its fiber may have resumed
      lock.lock();
    }
  }

  const std::size_t max_threads;
  mutable std::mutex mutex;
  std::condition_variable work;
  detail::PoolJob* head = nullptr;
  detail::PoolJob* tail = nullptr;
  std::size_t queued = 0;  // jobs in the queue, not yet taken by a worker
  std::size_t idle = 0;    // workers waiting for a job
  bool stopping = false;
  std::vector<std::thread> threads;
};

ThreadPool::ThreadPool(std::size_t max_threads) {
  if (max_threads == 0) throw std::invalid_argument("spindle::ThreadPool: max_threads must be > 0, got 0");
  s_ = std::make_unique<State>(max_threads);
}

ThreadPool::~ThreadPool() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(s_->mutex);
    s_->stopping = true;
    threads.swap(s_->threads);
  }
  s_->work.notify_all();
  for (auto& t : threads) t.join();
}

std::size_t ThreadPool::max_threads() const { return s_->max_threads; }

std::size_t ThreadPool::thread_count() const {
  std::lock_guard lock(s_->mutex);
  return s_->threads.size();
}

void ThreadPool::submit(detail::PoolJob& job) {
  State& s = *s_;
  {
    std::lock_guard lock(s.mutex);
    if (s.stopping) throw std::logic_error("spindle::ThreadPool::submit: the pool is shutting down");
    // A new thread only if the idle ones are all spoken for by jobs already queued.
    if (s.idle <= s.queued && s.threads.size() < s.max_threads) {
      try {
        s.threads.emplace_back([&s] { s.worker(); });
      } catch (const std::system_error&) {
        if (s.threads.empty()) throw;  // nobody could ever run the job
        // Out of threads: the ones already running take the job in turn.
      }
    }
    job.next = nullptr;
    if (s.tail) s.tail->next = &job; else s.head = &job;
    s.tail = &job;
    ++s.queued;
  }
  s.work.notify_one();
}

ThreadPool& default_thread_pool() {
  // A function-local static: created at first use, destroyed (joined) at exit.
  static ThreadPool pool(std::min<std::size_t>(32, std::thread::hardware_concurrency() + 4));
  return pool;
}

namespace detail {

// ---- one call --------------------------------------------------------------------------------

ThreadCallBase::ThreadCallBase(const char* what) : waiter_(what) {
  // Cancelled already: throw before anything is submitted (Trio checks before starting the thread).
  lowlevel::checkpoint_if_cancelled(what);
  loop_ = &lowlevel::running_loop();
  waiter_.on_cancel = &ThreadCallBase::on_cancel;
}

ThreadCallBase::~ThreadCallBase() {
  if (outstanding_.held()) {
    // Only a forced unwind could get here, and the loop never unwinds a fiber while it has
    // outstanding work. Returning would let the worker write into a dead stack.
    logger().critical("spindle: a fiber left {} while its work was still running on a thread",
                      waiter_.what());
    std::terminate();
  }
}

void ThreadCallBase::submitted() noexcept { outstanding_ = lowlevel::Outstanding(*loop_); }

void ThreadCallBase::wait() {
  // Only completed_on_loop wakes the waiter (on_cancel leaves it parked), so park returns notified.
  park(waiter_);
  lowlevel::checkpoint_if_cancelled(*waiter_.task());
}

void ThreadCallBase::finished_off_loop() noexcept {
  try {
    loop_->call_soon_threadsafe([this] { completed_on_loop(); });
  } catch (const std::exception& e) {
    // The loop closed under outstanding work, which drive() never does: nobody is left to wake.
    logger().critical("spindle: {} finished but its loop is gone: {}", waiter_.what(), e.what());
    std::terminate();
  }
}

void ThreadCallBase::completed_on_loop() noexcept {
  outstanding_.release();
  wake(waiter_);
}

std::exception_ptr dropped_job_error() {
  return std::make_exception_ptr(
      std::runtime_error("spindle::run_in_executor: the executor dropped the job without running it"));
}

// ---- block_on --------------------------------------------------------------------------------

void BlockOnCore::wait_finished() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return finished_; });
  if (abandoned_) std::rethrow_exception(abandoned_);
}

void BlockOnCore::finish() noexcept {
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  cv_.notify_all();
}

void BlockOnCore::abandon(std::exception_ptr why) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    finished_ = true;
    abandoned_ = std::move(why);
  }
  cv_.notify_all();
}

std::exception_ptr block_on_abandoned_error() {
  return std::make_exception_ptr(
      CancelledError("spindle::block_on: the loop ended before the fiber could finish"));
}

void check_block_on(const Loop& loop) {
  if (Loop::running_on_this_thread() == &loop) {
    throw std::logic_error(
        "spindle::block_on: called on the loop's own thread, it would wait for itself forever "
        "(call f directly, or spawn it)");
  }
  if (loop.is_closed()) {
    throw std::logic_error(
        "spindle::block_on: the loop is closed (not running): block_on needs a loop inside run()");
  }
}

void post_block_on(Loop& loop, std::function<void()> fn) {
  try {
    loop.call_soon_threadsafe(std::move(fn));
  } catch (const std::logic_error&) {  // it closed since check_block_on
    throw std::logic_error(
        "spindle::block_on: the loop is closed (not running): block_on needs a loop inside run()");
  }
}

}  // namespace detail
}  // namespace spindle
