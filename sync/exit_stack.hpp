#pragma once
// contextlib.(Async)ExitStack: collects clean-up actions and runs them in LIFO order at close()
// (or destruction). Every action runs even if an earlier one throws; close() then rethrows the
// first exception, and the destructor logs each one (spdlog logger "spindle") instead.
//   spindle::ExitStack stack;
//   auto& conn = stack.enter(Connection::open(i));   // owned; destroyed at close
//   stack.callback([&] { log("done"); });
// Actions run on the calling fiber and may park; an action that parks while the fiber is being
// cancelled gets CancelledError (wrap such clean-up in spindle::shield).
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace spindle {

class ExitStack {
 public:
  ExitStack() = default;
  ExitStack(ExitStack&&) noexcept = default;
  ExitStack& operator=(ExitStack&& o) noexcept;
  ExitStack(const ExitStack&) = delete;
  ExitStack& operator=(const ExitStack&) = delete;
  ~ExitStack();

  // Takes ownership of an RAII object (moved in) and returns a reference to it; it is destroyed
  // at close, in LIFO order with everything else.
  template <class Obj>
  std::remove_cvref_t<Obj>& enter(Obj&& obj) {
    auto e = std::make_unique<Owned<std::remove_cvref_t<Obj>>>(std::forward<Obj>(obj));
    auto& ref = *e->obj;
    entries_.push_back(std::move(e));
    return ref;
  }
  // Adds fn() (no arguments) to run at close.
  void push(std::function<void()> fn);
  // Adds fn(args...) to run at close (the arguments are stored by value).
  template <class F, class... Args>
  void callback(F&& fn, Args&&... args) {
    entries_.push_back(std::make_unique<Call<std::decay_t<F>, std::decay_t<Args>...>>(
        std::forward<F>(fn), std::forward<Args>(args)...));
  }
  // Runs everything in LIFO order (each action once) and empties the stack; then rethrows the
  // first exception an action threw.
  void close();
  // Moves every action into a new ExitStack (this one is left empty): contextlib's pop_all().
  ExitStack pop_all() { return std::move(*this); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    virtual ~Entry() = default;
    virtual void run() = 0;
  };
  template <class Obj>
  struct Owned final : Entry {
    template <class O>
    explicit Owned(O&& o) : obj(std::in_place, std::forward<O>(o)) {}
    void run() override { obj.reset(); }
    std::optional<Obj> obj;
  };
  template <class F, class... Args>
  struct Call final : Entry {
    template <class G, class... A>
    explicit Call(G&& g, A&&... a) : fn(std::forward<G>(g)), args(std::forward<A>(a)...) {}
    void run() override { std::apply(fn, args); }
    F fn;
    std::tuple<Args...> args;
  };
  // Runs every entry (LIFO); returns the first exception thrown, or logs each one instead.
  std::exception_ptr unwind(bool log_errors);

  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace spindle
