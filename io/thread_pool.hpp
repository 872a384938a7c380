#pragma once
// Threads: blocking work on worker threads while the calling fiber parks, and fibers started from
// foreign threads.
//   to_thread(f, args...)              asyncio.to_thread: f(args...) on the default pool
//   run_in_executor(pool, f, args...)  loop.run_in_executor: the same on a given pool (a ThreadPool
//                                      or any Asio executor / execution context)
//   block_on(loop, f, args...)         asyncio.run_coroutine_threadsafe(...).result(): from a
//                                      foreign thread, run f as a fiber on `loop` and wait for it
//
// to_thread / run_in_executor return f's value or rethrow f's exception in the fiber. The
// arguments are forwarded, not copied (the fiber waits for f, so references stay valid; move-only
// arguments and results work). While f runs, the loop counts it as outstanding work: an otherwise
// idle loop waits for it instead of reporting a deadlock, and run() does not end under it.
// Cancellation: the fiber never leaves while f runs (f may use its stack). A fiber cancelled while
// f runs (Task::cancel, a timeout) stays parked until f returns, then throws CancelledError and the
// result is discarded (Trio's to_thread.run_sync default); one already cancelled throws at once
// without submitting f. Under the virtual clock, time does not jump while work is on a thread.
#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include <boost/asio/post.hpp>

#include "io/detail/thread_pool_call.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/task.hpp"

namespace spindle {

// Worker threads started on demand, up to max_threads, and then kept (Python's
// ThreadPoolExecutor): a job starts a new thread only when no idle one is there to take it.
// Jobs run in submission order. The destructor runs every job already submitted, then joins.
class ThreadPool {
 public:
  explicit ThreadPool(std::size_t max_threads);  // 0 → std::invalid_argument
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  std::size_t max_threads() const;
  std::size_t thread_count() const;  // threads started so far
  // Low level (thread-safe): queues `job`, which must stay alive until it has run.
  void submit(detail::PoolJob& job);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The process-wide pool to_thread uses: min(32, hardware threads + 4) workers (Python's default),
// created at first use, joined at exit (after the work it was given has finished).
ThreadPool& default_thread_pool();

namespace detail {
template <class F, class... Args>
std::invoke_result_t<F, Args...> run_in_pool(ThreadPool& pool, const char* what, F&& f,
                                             Args&&... args) {
  using R = std::invoke_result_t<F, Args...>;
  auto call = [&]() -> R { return std::invoke(std::forward<F>(f), std::forward<Args>(args)...); };
  ThreadCall<R, decltype(call)> job(what, call);
  pool.submit(job);
  job.submitted();  // the completion cannot run before this fiber parks: it comes via the loop
  return job.get();
}
}  // namespace detail

template <class F, class... Args>
std::invoke_result_t<F, Args...> run_in_executor(ThreadPool& pool, F&& f, Args&&... args) {
  return detail::run_in_pool(pool, "run_in_executor", std::forward<F>(f),
                             std::forward<Args>(args)...);
}

// Any Asio executor or execution context (e.g. boost::asio::thread_pool). If the executor drops
// the job unrun (its context stopped), the fiber gets std::runtime_error.
template <class Executor, class F, class... Args>
  requires(!std::is_same_v<std::remove_cvref_t<Executor>, ThreadPool>)
std::invoke_result_t<F, Args...> run_in_executor(Executor&& executor, F&& f, Args&&... args) {
  using R = std::invoke_result_t<F, Args...>;
  auto call = [&]() -> R { return std::invoke(std::forward<F>(f), std::forward<Args>(args)...); };
  detail::ThreadCall<R, decltype(call)> job("run_in_executor", call);
  boost::asio::post(executor, detail::PostedJob(job));
  job.submitted();
  return job.get();
}

template <class F, class... Args>
std::invoke_result_t<F, Args...> to_thread(F&& f, Args&&... args) {
  return detail::run_in_pool(default_thread_pool(), "to_thread", std::forward<F>(f),
                             std::forward<Args>(args)...);
}

// From a thread that is not `loop`'s: spawns f(args...) (decay-copied, like spawn) as a fiber on
// `loop` through call_soon_threadsafe and blocks this thread until it finishes; returns its value
// or rethrows its exception. If the loop ends first (run() cancels the fiber, or closes before it
// started) → CancelledError. On the loop's own thread (it would wait for itself) or on a loop
// that is closed or not yet running → std::logic_error. Keep the loop alive meanwhile (e.g. a
// Loop::keep_alive() token held by a fiber) if nothing else would keep run() going.
template <class F, class... Args>
detail::SpawnResult<F, Args...> block_on(Loop& loop, F&& f, Args&&... args) {
  using R = detail::SpawnResult<F, Args...>;
  detail::check_block_on(loop);
  auto state = std::make_shared<detail::BlockOnState<R>>();
  auto guard = std::make_shared<detail::BlockOnGuard>(state);
  // On the heap: call_soon_threadsafe takes a copyable std::function, f may be move-only.
  auto bound = [f = std::forward<F>(f), ... args = std::forward<Args>(args)]() mutable -> R {
    return std::invoke(std::move(f), std::move(args)...);
  };
  using Bound = decltype(bound);
  auto fn = std::make_shared<Bound>(std::move(bound));
  detail::post_block_on(loop, [state, guard = std::move(guard), fn = std::move(fn)] {
    // A loop callback (not a fiber): spawn queues the fiber; if even that fails, say so.
    try {
      spawn(SpawnOptions{.name = "block_on"}, [state, guard, fn] { state->run(*fn); });
    } catch (...) {  // the loop's own context: no ForcedUnwind passes here
      state->fail(std::current_exception());
    }
  });
  return state->get();
}

}  // namespace spindle
