#pragma once
// gather(): run callables (or wait for tasks) concurrently and collect their results in argument
// order. Without return_exceptions the first failure cancels every other task in the call, waits
// for them, and rethrows it (asyncio leaves them running; spindle never orphans a fiber).
// Cancelling the gathering fiber cancels every task in the call.
#include <exception>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "scheduler/lowlevel.hpp"
#include "scheduler/task.hpp"

namespace spindle {

struct ReturnExceptions {};
inline constexpr ReturnExceptions return_exceptions{};

// One result of gather(return_exceptions, ...): a value or an exception.
template <class R>
class Outcome {
 public:
  using value_type = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
  explicit Outcome(value_type v) : v_(std::move(v)) {}
  explicit Outcome(std::exception_ptr e) : v_(std::move(e)) {}
  bool has_value() const { return v_.index() == 0; }
  // Rethrows the error if there is one.
  const value_type& value() const& {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  value_type&& value() && {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(std::move(v_));
  }
  std::exception_ptr error() const { return has_value() ? nullptr : std::get<1>(v_); }

 private:
  std::variant<value_type, std::exception_ptr> v_;
};

namespace detail {
// Parks until every task is done. Unless `keep_going`, the first failure cancels the others. If
// the caller is cancelled, every task is cancelled and reaped before CancelledError propagates.
// Returns the first failed task (nullptr if none failed).
lowlevel::Task* gather_wait(const std::vector<lowlevel::Task*>& tasks, bool keep_going);

template <class T>
struct IsTask : std::false_type {};
template <class R>
struct IsTask<Task<R>> : std::true_type {};

template <class X>
auto as_task(X&& x) {
  if constexpr (IsTask<std::remove_cvref_t<X>>::value) return std::forward<X>(x);
  else return spawn(std::forward<X>(x));
}

template <class R>
auto value_of(const Task<R>& t) {
  if constexpr (std::is_void_v<R>) {
    t.result();
    return std::monostate{};
  } else {
    return t.result();
  }
}
template <class R>
Outcome<R> outcome_of(const Task<R>& t) {
  if (std::exception_ptr e = t.exception()) return Outcome<R>(e);
  return Outcome<R>(value_of(t));
}

// Spawns the callables in argument order: a braced list is evaluated left to right, unlike the
// arguments of make_tuple (g++ evaluates those right to left).
template <class... Fs>
auto tasks_in_order(Fs&&... fs) {
  return std::tuple<decltype(as_task(std::forward<Fs>(fs)))...>{as_task(std::forward<Fs>(fs))...};
}

template <class... Ts>
void wait_tuple(const std::tuple<Ts...>& tasks, bool keep_going) {
  std::vector<lowlevel::Task*> v;
  std::apply([&](const auto&... t) { (v.push_back(t.get_base()), ...); }, tasks);
  if (lowlevel::Task* failed = gather_wait(v, keep_going)) {
    std::rethrow_exception(failed->mark_reported());
  }
}

template <class Range>
auto tasks_of(Range&& r) {
  using Elem = std::ranges::range_value_t<Range>;
  if constexpr (IsTask<Elem>::value) {
    return std::vector<Elem>(std::ranges::begin(r), std::ranges::end(r));
  } else {
    std::vector<decltype(spawn(std::declval<Elem&>()))> out;
    for (auto& f : r) out.push_back(spawn(f));
    return out;
  }
}

template <class R>
void wait_vector(const std::vector<Task<R>>& tasks, bool keep_going) {
  std::vector<lowlevel::Task*> v;
  v.reserve(tasks.size());
  for (const auto& t : tasks) v.push_back(t.get_base());
  if (lowlevel::Task* failed = gather_wait(v, keep_going)) {
    std::rethrow_exception(failed->mark_reported());
  }
}
}  // namespace detail

// gather(f1, f2, ...) / gather(task1, task2, ...) → std::tuple of results (void → monostate).
template <class... Fs>
  requires(sizeof...(Fs) > 1 || (!std::ranges::range<std::remove_cvref_t<Fs>> && ...))
auto gather(Fs&&... fs) {
  auto tasks = detail::tasks_in_order(std::forward<Fs>(fs)...);
  detail::wait_tuple(tasks, false);
  return std::apply([](const auto&... t) { return std::make_tuple(detail::value_of(t)...); },
                    tasks);
}

// gather(range of tasks or callables) → std::vector of results.
template <std::ranges::range Range>
auto gather(Range&& r) {
  auto tasks = detail::tasks_of(std::forward<Range>(r));
  detail::wait_vector(tasks, false);
  std::vector<decltype(detail::value_of(tasks.front()))> out;
  out.reserve(tasks.size());
  for (const auto& t : tasks) out.push_back(detail::value_of(t));
  return out;
}

// gather(return_exceptions, ...) → the same shapes with Outcome<R> elements; never throws a
// child's exception (the caller's own cancellation still propagates).
template <class... Fs>
  requires(sizeof...(Fs) > 1 || (!std::ranges::range<std::remove_cvref_t<Fs>> && ...))
auto gather(ReturnExceptions, Fs&&... fs) {
  auto tasks = detail::tasks_in_order(std::forward<Fs>(fs)...);
  detail::wait_tuple(tasks, true);
  return std::apply([](const auto&... t) { return std::make_tuple(detail::outcome_of(t)...); },
                    tasks);
}

template <std::ranges::range Range>
auto gather(ReturnExceptions, Range&& r) {
  auto tasks = detail::tasks_of(std::forward<Range>(r));
  detail::wait_vector(tasks, true);
  std::vector<decltype(detail::outcome_of(tasks.front()))> out;
  out.reserve(tasks.size());
  for (const auto& t : tasks) out.push_back(detail::outcome_of(t));
  return out;
}

}  // namespace spindle
