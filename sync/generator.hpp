#pragma once
// Async generators without colouring: the body runs on its own fiber and may park (sleep, queue
// get, …); the consumer iterates with range-for.
//   spindle::Generator<int> g([](spindle::Yield<int>& yield) { yield(1); spindle::sleep(1s); yield(2); });
//   for (int& v : g) ...
// Lazy: the body starts at the first begin() and never runs ahead of the consumer (each yield
// parks until the consumer asks for the next value). Each step is a schedule point. The body's
// exception is thrown from the begin() or ++ that resumed it. Leaving the loop early (break, an
// exception, cancellation) and then dropping the Generator cancels the body where it is parked and
// waits for it to unwind, so its destructors run. A std::ranges input range and view; T may be
// move-only (*it is T&).
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>

#include "scheduler/task.hpp"
#include "scheduler/wait_queue.hpp"

namespace spindle {

template <class T>
class Yield;

namespace detail {
// The type-independent half: the body's task and the two wait queues of the hand-off.
class GeneratorCore {
 public:
  GeneratorCore() = default;
  GeneratorCore(const GeneratorCore&) = delete;
  GeneratorCore& operator=(const GeneratorCore&) = delete;
  virtual ~GeneratorCore() = default;

  // Consumer: drops the current value, resumes the body (starts it the first time) and parks
  // until it yields or ends. A cancellation point. Rethrows the body's exception.
  void advance();
  // Cancels a body that has not finished and waits (shielded) for it to unwind. Never throws.
  void close() noexcept;
  // Body: the value is stored; wake the consumer and park until it wants the next one.
  void yield_point();

 protected:
  virtual void start() = 0;        // spawns the body's task into task_
  virtual void reset_value() = 0;  // drops the current value
  void body_finished();            // on the body's fiber, as its function ends (either way)

  Task<void> task_;

 private:
  WaitQueue consumer_{"Generator"};
  WaitQueue producer_{"Generator"};
  bool started_ = false;
  bool finished_ = false;
};

template <class T>
class GeneratorState : public GeneratorCore, public std::enable_shared_from_this<GeneratorState<T>> {
 public:
  std::optional<T> value;

 protected:
  void reset_value() override { value.reset(); }
  template <class F>
  void spawn_body(F& body) {
    task_ = spawn(SpawnOptions{.name = "generator"},
                  [self = this->shared_from_this(), &body] {
                    struct Finish {
                      GeneratorState* s;
                      ~Finish() { s->body_finished(); }
                    } finish{self.get()};
                    Yield<T> y(*self);
                    body(y);
                  });
  }
};

template <class T, class F>
class GeneratorImpl final : public GeneratorState<T> {
 public:
  explicit GeneratorImpl(F&& f) : body_(std::move(f)) {}

 private:
  void start() override { this->spawn_body(body_); }
  F body_;
};
}  // namespace detail

// What the body gets to produce values: yield(v) hands v to the consumer and parks until it asks
// for the next one. A cancellation point (it throws CancelledError when the consumer went away).
template <class T>
class Yield {
 public:
  explicit Yield(detail::GeneratorState<T>& s) : s_(s) {}
  Yield(const Yield&) = delete;
  Yield& operator=(const Yield&) = delete;
  void operator()(T value) {
    s_.value.emplace(std::move(value));
    s_.yield_point();
  }

 private:
  detail::GeneratorState<T>& s_;
};

template <class T>
class Generator : public std::ranges::view_interface<Generator<T>> {
 public:
  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;
    iterator() = default;
    T& operator*() const { return *s_->value; }
    T* operator->() const { return &*s_->value; }
    iterator& operator++() {
      s_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) {
      return !it.s_ || !it.s_->value;
    }

   private:
    friend class Generator;
    explicit iterator(detail::GeneratorState<T>* s) : s_(s) {}
    detail::GeneratorState<T>* s_ = nullptr;
  };

  Generator() = default;
  // body(Yield<T>&) runs on its own fiber, from the first begin() on.
  template <class F>
    requires std::is_invocable_v<F&, Yield<T>&>
  explicit Generator(F body)
      : s_(std::make_shared<detail::GeneratorImpl<T, F>>(std::move(body))) {}
  Generator(Generator&&) noexcept = default;
  Generator& operator=(Generator&& o) noexcept {
    if (this != &o) {
      close();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  ~Generator() { close(); }

  // Starts the body (the first time) and parks until its first value. A cancellation point.
  // Later calls continue where the iteration is (an input range is walked once).
  iterator begin() {
    if (s_ && !begun_) {
      begun_ = true;
      s_->advance();
    }
    return iterator(s_.get());
  }
  std::default_sentinel_t end() const { return {}; }

  // Cancels the body if it has not finished and waits for it to unwind (the destructor does this).
  void close() noexcept {
    if (s_) s_->close();
  }

 private:
  std::shared_ptr<detail::GeneratorState<T>> s_;
  bool begun_ = false;
};

}  // namespace spindle
