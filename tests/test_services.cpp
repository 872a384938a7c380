// Per-loop services (scheduler/service.hpp): created on first use, one per loop and type, destroyed
// newest first when the loop closes.
#include <stdexcept>

#include "scheduler/service.hpp"
#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {

Recorder* g_events = nullptr;

template <char Name>
struct Named : Service {
  explicit Named(Loop&) { (*g_events)(std::string("create ") + Name); }
  ~Named() override { (*g_events)(std::string("destroy ") + Name); }
};

}  // namespace

TEST_SUITE("services") {

TEST_CASE("use_service: one per loop and type, made on first use, closed newest first") {
  Recorder events;
  g_events = &events;
  run_virtual([&] {
    Loop& loop = this_loop();
    CHECK(find_service<Named<'a'>>(loop) == nullptr);
    auto& a = use_service<Named<'a'>>(loop);
    auto& b = use_service<Named<'b'>>(loop);
    CHECK(&use_service<Named<'a'>>(loop) == &a);
    CHECK(find_service<Named<'b'>>(loop) == &b);
    events("main ends");
  });
  events("closed");
  run_virtual([&] { CHECK(find_service<Named<'a'>>(this_loop()) == nullptr); });
  g_events = nullptr;
  CHECK(events.str() == "create a, create b, main ends, destroy b, destroy a, closed");
}

TEST_CASE("use_service on a closed loop → std::logic_error") {
  Loop* loop = nullptr;
  run_virtual([&] { loop = &this_loop(); });
  CHECK_THROWS_WITH_AS(use_service<Named<'c'>>(*loop), "spindle::use_service: the loop is closed",
                       std::logic_error);
}

}  // TEST_SUITE
