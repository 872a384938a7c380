#include "sync/future.hpp"

#include "scheduler/loop.hpp"
#include "scheduler/lowlevel.hpp"

namespace spindle::detail {

void FutureCore::wait_done() {
  lowlevel::checkpoint_if_cancelled("Future::get");
  if (state_ == State::pending) {
    Waiter w("Future.get");
    waiters_.wait(w);
  }
  check_result("get");
}

void FutureCore::check_result(const char* api) const {
  switch (state_) {
    case State::pending:
      throw InvalidStateError(std::string("spindle::Future::") + api + ": the future is not done yet");
    case State::cancelled:
      throw CancelledError(cancel_message_);
    case State::done:
      if (error_) std::rethrow_exception(error_);
  }
}

std::exception_ptr FutureCore::exception(const char* api) const {
  if (state_ == State::pending) {
    throw InvalidStateError(std::string("spindle::Future::") + api + ": the future is not done yet");
  }
  if (state_ == State::cancelled) return std::make_exception_ptr(CancelledError(cancel_message_));
  return error_;
}

void FutureCore::check_settable(const char* api) const {
  if (state_ == State::pending) return;
  throw InvalidStateError(std::string("spindle::Future::") + api + ": the future is already " +
                          (state_ == State::cancelled ? "cancelled" : "done"));
}

void FutureCore::complete(std::exception_ptr e) {
  if (state_ == State::pending) state_ = State::done;
  error_ = std::move(e);
  waiters_.wake_all();
  if (!callbacks_.empty()) {
    Loop& loop = this_loop();
    for (auto& cb : callbacks_) loop.call_soon(std::move(cb));
    callbacks_.clear();
  }
}

bool FutureCore::cancel(std::string message) {
  if (state_ != State::pending) return false;
  state_ = State::cancelled;
  cancel_message_ = std::move(message);
  complete(nullptr);
  return true;
}

void FutureCore::add_callback(std::function<void()> fn) {
  if (done()) this_loop().call_soon(std::move(fn));
  else callbacks_.push_back(std::move(fn));
}

}  // namespace spindle::detail
