#pragma once
// asyncio.Future: a shareable handle to a result that somebody sets later. Copies share one state.
// get() parks until it is done (then returns the value, rethrows the exception, or throws
// CancelledError if the future was cancelled). set_result/set_exception/cancel never park, so a
// loop callback may call them; from another thread, go through Loop::call_soon_threadsafe:
//   loop.call_soon_threadsafe([f] { f.set_result(42); });
// Setting a done (or cancelled) future → InvalidStateError. Done callbacks run via call_soon.
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "scheduler/errors.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/wait_queue.hpp"

namespace spindle {

namespace detail {
// The type-independent half of a future's state.
class FutureCore {
 public:
  FutureCore() = default;
  FutureCore(const FutureCore&) = delete;
  FutureCore& operator=(const FutureCore&) = delete;

  bool done() const { return state_ != State::pending; }
  bool cancelled() const { return state_ == State::cancelled; }
  // Parks until done (a cancellation point; returns at once when done), then throws the stored
  // exception or CancelledError; returns normally if a result is there.
  void wait_done();
  // The same without parking: not done → InvalidStateError naming `api`.
  void check_result(const char* api) const;
  std::exception_ptr exception(const char* api) const;
  // Throws InvalidStateError naming `api` unless pending.
  void check_settable(const char* api) const;
  // Marks the future done (with `e` as its exception if non-null), wakes every waiter and
  // schedules the done callbacks.
  void complete(std::exception_ptr e);
  bool cancel(std::string message);
  void add_callback(std::function<void()> fn);

 private:
  enum class State : unsigned char { pending, done, cancelled };
  State state_ = State::pending;
  std::exception_ptr error_;
  std::string cancel_message_;
  WaitQueue waiters_{"Future"};
  std::vector<std::function<void()>> callbacks_;
};

template <class T>
struct FutureState : FutureCore {
  std::optional<std::conditional_t<std::is_void_v<T>, std::monostate, T>> value;
};
}  // namespace detail

template <class T>
class Future {
 public:
  using value_type = T;
  Future() : s_(std::make_shared<detail::FutureState<T>>()) {}

  // Stores the result and wakes every waiter. Done already → InvalidStateError.
  template <class U = T>
    requires(!std::is_void_v<U>)
  void set_result(U value) const {
    s_->check_settable("set_result");
    s_->value.emplace(std::move(value));
    s_->complete(nullptr);
  }
  template <class U = T>
    requires std::is_void_v<U>
  void set_result() const {
    s_->check_settable("set_result");
    s_->value.emplace();
    s_->complete(nullptr);
  }
  // Stores an exception for get() to rethrow. A null pointer → std::invalid_argument.
  void set_exception(std::exception_ptr e) const;

  // Parks until done, then returns the result (a reference into the shared state) or rethrows.
  // A cancellation point (also when already done): cancelling the waiter does not cancel the
  // future.
  decltype(auto) get() const {
    auto keep = s_;  // the state outlives the wait even if this handle is reassigned meanwhile
    keep->wait_done();
    return value_ref();
  }
  // Like get() but never parks: not done → InvalidStateError.
  decltype(auto) result() const {
    s_->check_result("result");
    return value_ref();
  }
  // The stored exception (a CancelledError if cancelled), nullptr after set_result. Not done →
  // InvalidStateError.
  std::exception_ptr exception() const { return s_->exception("exception"); }

  bool done() const { return s_->done(); }
  bool cancelled() const { return s_->cancelled(); }
  // Cancels the future and wakes its waiters (they throw CancelledError); false if already done.
  bool cancel(std::string message = {}) const { return s_->cancel(std::move(message)); }
  // fn(future) runs via call_soon once the future is done (soon, if it already is).
  void add_done_callback(std::function<void(const Future&)> fn) const {
    s_->add_callback([fn = std::move(fn), self = *this] { fn(self); });
  }

  bool operator==(const Future& o) const { return s_ == o.s_; }

 private:
  decltype(auto) value_ref() const {
    if constexpr (std::is_void_v<T>) return;
    else return static_cast<const T&>(*s_->value);
  }
  std::shared_ptr<detail::FutureState<T>> s_;
};

template <class T>
void Future<T>::set_exception(std::exception_ptr e) const {
  if (!e) throw std::invalid_argument("spindle::Future::set_exception: the exception_ptr is null");
  s_->check_settable("set_exception");
  s_->complete(std::move(e));
}

// asyncio's loop.create_future(): an alias of constructing a Future<T>.
template <class T = void>
Future<T> create_future() {
  return Future<T>();
}

template <class T>
Future<T> Loop::create_future() {
  return Future<T>();
}

}  // namespace spindle
