// README "Testing your code": the example, compiled and run. The README shows the explore test as
// the user writes it (REQUIRE_NOTHROW, red); here it is asserted red with the seed's failure.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "spindle.hpp"
#include "spindle/doctest.hpp"
#include "spindle/testing.hpp"

using namespace std::chrono_literals;

namespace {

// A connection handler, generic over the stream: TcpStream in the server, MemoryStream in tests.
template <class Stream>
void greeter(Stream& s) {
  for (;;) {
    std::string name = s.read_line();
    if (name.empty()) return;  // the client closed its side
    spindle::sleep(1s);        // a slow lookup
    s.write_all("hello " + name);
  }
}

int balance = 100;

void withdraw(int amount) {
  if (balance >= amount) {  // check...
    spindle::yield_now();   // ...park (a log write, a remote call)...
    balance -= amount;      // ...act: another withdrawal may have run in between
  }
  if (balance < 0) throw std::logic_error("overdrawn: " + std::to_string(balance));
}

void two_withdrawals() {
  balance = 100;
  spindle::task_group([](spindle::TaskGroup& g) {
    g.spawn(withdraw, 60);
    spindle::yield_now();  // the second request arrives a moment later
    g.spawn(withdraw, 60);
  });
}

}  // namespace

TEST_SUITE("readme") {
  SPINDLE_TEST_CASE("the greeter answers each line after one second") {
    auto [client, server] = spindle::testing::stream_pair();
    auto handler = spindle::spawn([&server] { greeter(server); });
    const auto t0 = spindle::now();
    client.write_all("ada\n");
    CHECK(client.read_line() == "hello ada\n");
    CHECK(spindle::now() - t0 == 1s);  // virtual time: the test takes no real second
    client.shutdown_write();
    handler.get();
  }

  TEST_CASE("two withdrawals never overdraw: FIFO passes, explore finds the schedule that fails") {
    spindle::testing::run_virtual(two_withdrawals);
    CHECK(balance == 40);
    std::string failure;
    try {
      spindle::testing::explore(two_withdrawals, {.runs = 1000});
    } catch (const spindle::ExceptionGroup& g) {
      try {
        std::rethrow_exception(g.exceptions().at(0));
      } catch (const std::logic_error& e) {
        failure = e.what();
      }
    }
    CHECK(failure == "overdrawn: -20");
  }
}
