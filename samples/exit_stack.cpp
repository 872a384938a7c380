// 000 AsyncExitStack: five connections entered into one spindle::ExitStack are all closed when it
// goes, in reverse order; and when opening the fourth fails, the three already opened are still
// closed (LIFO) before the error reaches the caller. Opening and closing each park 0.1 s.
#include <chrono>
#include <iostream>
#include <spindle.hpp>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
// get_connection(): an RAII connection whose open and close both park.
class Connection {
 public:
  Connection(int id, int fail_at) : id_(id) {
    std::cout << "Opening connection " << id_ << '\n';
    spindle::sleep(100ms);
    if (id_ == fail_at) throw std::runtime_error("cannot open connection " + std::to_string(id_));
    open_ = true;
  }
  Connection(Connection&& o) noexcept : id_(o.id_), open_(std::exchange(o.open_, false)) {}
  Connection& operator=(Connection&&) = delete;
  ~Connection() {
    if (!open_) return;
    // Clean-up that parks is shielded, so it also completes while the fiber is being cancelled.
    spindle::shield([&] { spindle::sleep(100ms); });
    std::cout << "Closing connection " << id_ << '\n';
  }
  int id() const { return id_; }

 private:
  int id_;
  bool open_ = false;
};

void use_connections(int fail_at) {
  spindle::ExitStack stack;
  std::vector<Connection*> connections;
  for (int i = 0; i < 5; ++i) connections.push_back(&stack.enter(Connection(i, fail_at)));
  std::cout << "All " << connections.size() << " connections open; working with them\n";
}  // the stack closes every connection, last opened first
}  // namespace

SPINDLE_SAMPLE(exit_stack, "000 AsyncExitStack: five connections closed LIFO") {
  use_connections(-1);
  std::cout << "-- again, and opening connection 3 fails --\n";
  try {
    use_connections(3);
  } catch (const std::exception& e) {
    std::cout << "Error: " << e.what() << '\n';
  }
}
