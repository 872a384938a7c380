#pragma once
// asyncio.Queue, PriorityQueue and LifoQueue for fibers. maxsize <= 0 means unbounded.
//
// Hand-off: put() gives its item straight to the first parked getter, and get() refills the
// buffer from the first parked putter, so items never wait in the buffer while a getter waits and
// nobody barges past a queued fiber (FIFO for getters and for putters). A fiber cancelled while
// queued is unlinked without effect: a cancelled get() takes no item, a cancelled put() inserts
// nothing. Every blocking call is a cancellation point (also when it does not park) and is "try,
// else park" over its try_ twin.
//
// task_done()/join() count items as asyncio does; shutdown(false) makes put() throw QueueShutDown
// while getters drain what is left (then get() throws it too); shutdown(true) also drops the items.
#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "scheduler/wait_queue.hpp"

namespace spindle {

class QueueFull : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class QueueEmpty : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class QueueShutDown : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

// The type-independent half: counters, the three wait queues, errors. Waiter::slot protocol:
// a parked getter's slot points at its std::optional<T>, filled by the putter that wakes it; a
// parked putter's slot points at its T, moved out by the getter that wakes it. shutdown() wakes
// both with WakeReason::closed.
class QueueCore {
 public:
  QueueCore(const char* name, std::ptrdiff_t maxsize) noexcept
      : name_(name),
        maxsize_(maxsize > 0 ? static_cast<std::size_t>(maxsize) : 0),
        getters_(name),
        putters_(name),
        joiners_(name) {}
  QueueCore(const QueueCore&) = delete;
  QueueCore& operator=(const QueueCore&) = delete;

  std::size_t maxsize() const { return maxsize_; }
  // Marks one item taken by get() as processed; more calls than items → std::logic_error.
  void task_done();
  // Parks until every item put so far has been marked task_done(). A cancellation point.
  void join();
  bool is_shut_down() const { return shut_down_; }
  std::size_t getters_waiting() const { return getters_.size(); }
  std::size_t putters_waiting() const { return putters_.size(); }

 protected:
  // The caller's cancellation check, at the start of every blocking call.
  void checkpoint(const char* api) const;
  [[noreturn]] void throw_shut_down(const char* api) const;
  [[noreturn]] void throw_full() const;
  [[noreturn]] void throw_empty() const;
  WakeReason park_getter(Waiter& w);  // push + park; cancellation unlinks it
  WakeReason park_putter(Waiter& w);
  // Wakes every parked getter and putter with WakeReason::closed (items stay).
  void shut_down_waiters();
  void items_dropped(std::size_t n);

  const char* name_;
  std::size_t maxsize_;
  std::size_t unfinished_ = 0;
  bool shut_down_ = false;
  WaitQueue getters_;
  WaitQueue putters_;
  WaitQueue joiners_;
};

// Storage policies: push, pop (the next item by value), size.
template <class T>
struct FifoStore {
  static constexpr const char* kName = "Queue";
  std::deque<T> items;
  void push(T&& v) { items.push_back(std::move(v)); }
  T pop() {
    T v = std::move(items.front());
    items.pop_front();
    return v;
  }
};

template <class T>
struct LifoStore {
  static constexpr const char* kName = "LifoQueue";
  std::vector<T> items;
  void push(T&& v) { items.push_back(std::move(v)); }
  T pop() {
    T v = std::move(items.back());
    items.pop_back();
    return v;
  }
};

template <class T, class Compare>
struct HeapStore {
  static constexpr const char* kName = "PriorityQueue";
  std::vector<T> items;
  [[no_unique_address]] Compare less;
  // std::*_heap keeps the largest in front; reversing the order keeps the smallest there.
  bool greater(const T& a, const T& b) { return less(b, a); }
  void push(T&& v) {
    items.push_back(std::move(v));
    std::push_heap(items.begin(), items.end(), [this](const T& a, const T& b) { return greater(a, b); });
  }
  T pop() {
    std::pop_heap(items.begin(), items.end(), [this](const T& a, const T& b) { return greater(a, b); });
    T v = std::move(items.back());
    items.pop_back();
    return v;
  }
};

template <class T, class Store>
class BasicQueue : public QueueCore {
 public:
  using value_type = T;
  explicit BasicQueue(std::ptrdiff_t maxsize = 0) noexcept : QueueCore(Store::kName, maxsize) {}
  ~BasicQueue() = default;

  // Try, else park until there is room (or a getter takes it). A cancellation point: a put()
  // cancelled while parked inserts nothing. Shut down → QueueShutDown.
  void put(T item) {
    checkpoint("put");
    if (try_put_ref(item)) return;
    Waiter w("Queue.put");
    w.slot = &item;
    if (park_putter(w) == WakeReason::closed) throw_shut_down("put");  // not taken by a getter
  }
  // Puts without parking; false when full. Shut down → QueueShutDown.
  bool try_put(T item) { return try_put_ref(item); }
  // Full → QueueFull.
  void put_nowait(T item) {
    if (!try_put_ref(item)) throw_full();
  }

  // Try, else park until an item is handed over. A cancellation point: a get() cancelled while
  // parked takes nothing. Shut down and empty → QueueShutDown.
  T get() {
    checkpoint("get");
    if (std::optional<T> v = try_get()) return std::move(*v);
    std::optional<T> out;
    Waiter w("Queue.get");
    w.slot = &out;
    if (park_getter(w) == WakeReason::closed) throw_shut_down("get");
    return std::move(*out);
  }
  // The next item without parking; empty → std::nullopt. Shut down and empty → QueueShutDown.
  std::optional<T> try_get() {
    if (store_.items.empty()) {
      if (shut_down_) throw_shut_down("get");
      return std::nullopt;
    }
    std::optional<T> v(store_.pop());
    if (Waiter* p = putters_.front()) {  // room again: the first parked putter's item goes in
      store_.push(std::move(*static_cast<T*>(p->slot)));
      ++unfinished_;
      wake(*p);
    }
    return v;
  }
  // Empty → QueueEmpty.
  T get_nowait() {
    if (std::optional<T> v = try_get()) return std::move(*v);
    throw_empty();
  }

  // Items in the buffer (an item handed straight to a getter never counts).
  std::size_t size() const { return store_.items.size(); }
  bool empty() const { return store_.items.empty(); }
  bool full() const { return maxsize_ > 0 && store_.items.size() >= maxsize_; }

  // Stops the queue: put() throws QueueShutDown from now on and parked putters are woken with it;
  // parked getters are woken with it (the buffer is empty when any are parked). immediate: the
  // items left are dropped too (counted as done for join()).
  void shutdown(bool immediate = false) {
    shut_down_ = true;
    if (immediate) {
      const std::size_t n = store_.items.size();
      store_.items.clear();
      items_dropped(n);
    }
    shut_down_waiters();
  }

 private:
  // Moves `item` in (to a parked getter, else into the buffer) unless the queue is full.
  bool try_put_ref(T& item) {
    if (shut_down_) throw_shut_down("put");
    if (Waiter* g = getters_.front()) {  // a getter only waits while the buffer is empty
      static_cast<std::optional<T>*>(g->slot)->emplace(std::move(item));
      ++unfinished_;
      wake(*g);
      return true;
    }
    if (full()) return false;
    store_.push(std::move(item));
    ++unfinished_;
    return true;
  }

  Store store_;
};

}  // namespace detail

// FIFO queue (asyncio.Queue).
template <class T>
class Queue : public detail::BasicQueue<T, detail::FifoStore<T>> {
 public:
  using detail::BasicQueue<T, detail::FifoStore<T>>::BasicQueue;
};

// Pops the smallest item under Compare first (asyncio.PriorityQueue; equal items in no particular
// order).
template <class T, class Compare = std::less<T>>
class PriorityQueue : public detail::BasicQueue<T, detail::HeapStore<T, Compare>> {
 public:
  using detail::BasicQueue<T, detail::HeapStore<T, Compare>>::BasicQueue;
};

// Pops the most recently put item first (asyncio.LifoQueue).
template <class T>
class LifoQueue : public detail::BasicQueue<T, detail::LifoStore<T>> {
 public:
  using detail::BasicQueue<T, detail::LifoStore<T>>::BasicQueue;
};

}  // namespace spindle
