#pragma once
// use_fiber: the completion token that makes any Asio initiating function a blocking-looking call.
//
//   std::size_t n = boost::asio::async_read(socket, buffer, spindle::use_fiber);  // parks the fiber
//   boost::system::error_code ec;
//   n = socket.async_read_some(buffer, spindle::use_fiber[ec]);                 // fills ec instead
//
// The call returns what the operation passes to its handler after the error code: nothing (void),
// one value, or a std::tuple of several. An error throws boost::system::system_error (or fills `ec`).
// Cancellation: a cancelled fiber (Task::cancel, a timeout around the call) cancels the operation
// through Asio's per-operation cancellation slot and resumes with CancelledError once the operation
// has ended; an operation that does not support per-operation cancellation is waited out. An
// outstanding operation keeps an otherwise idle loop waiting instead of reporting a deadlock.
// Must be called from a fiber.
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <tuple>
#include <type_traits>
#include <utility>

#include "io/detail/io_wait.hpp"
#include "io/errors.hpp"

namespace spindle {

struct UseFiber {
  boost::system::error_code* ec = nullptr;  // fill this instead of throwing
  const char* what = "asio operation";      // names the wait in DeadlockError and dump_tasks

  constexpr UseFiber operator[](boost::system::error_code& e) const { return UseFiber{&e, what}; }
  constexpr UseFiber named(const char* w) const { return UseFiber{ec, w}; }
};
inline constexpr UseFiber use_fiber{};

namespace detail {

// The value a use_fiber call returns for handler arguments Vs... (after any error code).
template <class... Vs>
struct IoReturn {
  using type = std::tuple<Vs...>;
  static type take(std::tuple<Vs...>&& t) { return std::move(t); }
};
template <>
struct IoReturn<> {
  using type = void;
  static void take(std::tuple<>&&) {}
};
template <class V>
struct IoReturn<V> {
  using type = V;
  static V take(std::tuple<V>&& t) { return std::move(std::get<0>(t)); }
};

template <class... Args>
struct IoSignature;  // splits a leading error_code off the handler's arguments

template <class... Vs>
struct IoSignature<boost::system::error_code, Vs...> {
  using Return = IoReturn<Vs...>;
  static typename Return::type finish(IoWaitBase& w, std::tuple<boost::system::error_code, Vs...>&& r,
                                      const UseFiber& token) {
    boost::system::error_code& ec = std::get<0>(r);
    w.throw_if_cancelled(ec);
    if (token.ec) *token.ec = ec; else if (ec) throw_io_error(ec, token.what);
    return std::apply([](boost::system::error_code&, Vs&... vs) { return Return::take(std::tuple<Vs...>(std::move(vs)...)); }, r);
  }
};

template <class... Vs>
struct IoSignature {
  using Return = IoReturn<Vs...>;
  static typename Return::type finish(IoWaitBase& w, std::tuple<Vs...>&& r, const UseFiber& token) {
    w.throw_if_cancelled({});
    if (token.ec) token.ec->clear();
    return Return::take(std::move(r));
  }
};

// Starts the operation with a FiberHandler and parks until it completes.
template <class... Args, class Initiation, class... InitArgs>
auto await_operation(Initiation&& init, const UseFiber& token, InitArgs&&... init_args) {
  IoWait<Args...> w(token.what);
  std::forward<Initiation>(init)(FiberHandler<Args...>(w.slot()), std::forward<InitArgs>(init_args)...);
  w.wait();
  if (w.was_abandoned()) throw boost::system::system_error(boost::asio::error::operation_aborted);
  return IoSignature<Args...>::finish(w, std::move(w.result()), token);
}

}  // namespace detail
}  // namespace spindle

template <class R, class... Args>
struct boost::asio::async_result<spindle::UseFiber, R(Args...)> {
  using return_type =
      typename spindle::detail::IoSignature<std::decay_t<Args>...>::Return::type;

  template <class Initiation, class... InitArgs>
  static return_type initiate(Initiation&& init, spindle::UseFiber token, InitArgs&&... args) {
    return spindle::detail::await_operation<std::decay_t<Args>...>(
        std::forward<Initiation>(init), token, std::forward<InitArgs>(args)...);
  }
};
