#pragma once
// Trio's cancel scopes. A scope covers the code run inside it and every task spawned into a group
// opened inside it. Cancellation is level-triggered: once a scope is cancelled, every parking call
// inside it throws CancelledError until the code leaves the scope. A shielded scope keeps outer
// cancellation out (its own cancel() and deadline still apply). Timeouts are deadlines on scopes.
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "scheduler/clock.hpp"
#include "scheduler/detail/timer_heap.hpp"
#include "scheduler/errors.hpp"

namespace spindle {

namespace detail {
class TaskBase;
}

class CancelScope {
 public:
  // `scope.deadline = tp;` re-arms at once; reads like std::optional<TimePoint>.
  class Deadline {
   public:
    Deadline& operator=(std::optional<TimePoint> tp);
    Deadline& operator=(const Deadline& other) { return *this = other.value_; }
    operator std::optional<TimePoint>() const { return value_; }
    bool has_value() const { return value_.has_value(); }
    TimePoint operator*() const { return *value_; }
    TimePoint value() const { return value_.value(); }

   private:
    friend class CancelScope;
    explicit Deadline(CancelScope* s) : scope_(s) {}
    CancelScope* scope_;
    std::optional<TimePoint> value_;
  };
  // `scope.shield = true;` takes effect at once; reads like bool.
  class Shield {
   public:
    Shield& operator=(bool on);
    Shield& operator=(const Shield& other) { return *this = other.value_; }
    operator bool() const { return value_; }

   private:
    friend class CancelScope;
    explicit Shield(CancelScope* s) : scope_(s) {}
    CancelScope* scope_;
    bool value_ = false;
  };

  CancelScope() : deadline(this), shield(this), timer_(&CancelScope::on_deadline, this) {}
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

  Deadline deadline;
  Shield shield;

  // Cancels everything inside the scope (now, and whatever enters it later). Idempotent.
  void cancel(std::string message = {});
  bool cancel_called() const { return cancel_called_; }
  // After run(): whether this scope's own cancellation (or deadline) ended the body.
  bool cancelled_caught() const { return cancelled_caught_; }
  // Whether the deadline (rather than cancel()) cancelled the scope.
  bool deadline_hit() const { return deadline_hit_; }
  // Whether a call inside reported this scope's cancellation as an error code instead of raising
  // it (the hooks' ECANCELED to a foreign library): the body may then return normally.
  bool cancellation_reported() const { return cancellation_reported_; }
  void note_cancellation_reported() const noexcept { cancellation_reported_ = true; }

  // Runs `body` (callable with no arguments or with CancelScope&) inside the scope. Returns its
  // result, or an empty optional when this scope's cancellation ended it (R = void → monostate).
  template <class F>
  auto run(F&& body);

  // --- for the runtime ---
  void enter(detail::TaskBase* owner, CancelScope* parent);  // parent: the scope it nests in
  // Enters the scope in the running fiber, nested in its innermost scope; outside a fiber →
  // std::logic_error naming `api`.
  void enter_running(const char* api);
  void exit() noexcept;
  // Whether a CancelledError leaving the body belongs to this scope (and so stops here).
  bool owns_cancellation() const;
  const std::string& message() const;
  CancelScope* parent() const { return parent_; }
  // The scope whose cancellation reaches code whose innermost scope is `s`, or nullptr.
  static const CancelScope* cancelled_from(const CancelScope* s) {
    for (; s; s = s->parent_) {
      if (s->cancel_called_) return s;
      if (s->shield.value_) return nullptr;
    }
    return nullptr;
  }

 private:
  static void on_deadline(detail::TimerNode& t);
  void arm_deadline();
 public:
  // Arms the deadlines `t`'s scopes deferred while it ran; called by park and yield_now.
  static void arm_lazy(detail::TaskBase& t);

 private:
  void deliver();  // wakes every fiber parked inside this scope (not behind a shield)
  void link_child(CancelScope* c);
  void unlink_child(CancelScope* c);

  detail::TaskBase* owner_ = nullptr;
  CancelScope* parent_ = nullptr;
  CancelScope* first_child_ = nullptr;
  CancelScope* next_sibling_ = nullptr;
  CancelScope* prev_sibling_ = nullptr;
  CancelScope* outer_in_task_ = nullptr;  // the owner's innermost scope before entering this one
  std::unique_ptr<std::string> message_;  // only cancel(msg) with a message allocates
  detail::TimerNode timer_;
  bool entered_ = false;
  bool cancel_called_ = false;
  bool cancelled_caught_ = false;
  bool deadline_hit_ = false;
  mutable bool cancellation_reported_ = false;  // set through the const scope a task sees
  bool lazy_ = false;  // deadline set, timer not armed until the owner parks
};

namespace detail {
// Throws CancelledError carrying `s`'s message (out of line: keeps checkpoints' fast paths small).
[[noreturn, gnu::noinline, gnu::cold]] void throw_cancelled(const CancelScope* s);

template <class F>
struct ScopeBodyResult {
  using type = std::invoke_result_t<F>;
};
template <class F>
  requires std::is_invocable_v<F, CancelScope&>
struct ScopeBodyResult<F> {
  using type = std::invoke_result_t<F, CancelScope&>;
};
}  // namespace detail

template <class F>
auto CancelScope::run(F&& body) {
  using R = typename detail::ScopeBodyResult<F>::type;
  using Value = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
  enter_running("CancelScope::run");
  auto call = [&]() -> Value {
    if constexpr (std::is_invocable_v<F, CancelScope&>) {
      if constexpr (std::is_void_v<R>) { std::forward<F>(body)(*this); return {}; }
      else return std::forward<F>(body)(*this);
    } else {
      if constexpr (std::is_void_v<R>) { std::forward<F>(body)(); return {}; }
      else return std::forward<F>(body)();
    }
  };
  try {
    std::optional<Value> out(call());
    exit();
    return out;
  } catch (const CancelledError&) {
    const bool mine = owns_cancellation();
    exit();
    if (!mine) throw;
    cancelled_caught_ = true;
    return std::optional<Value>();
  } catch (...) {
    exit();
    throw;
  }
}

}  // namespace spindle
