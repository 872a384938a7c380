// ExceptionGroup: message/exceptions/what, split<E>() keeping the nesting as Python does, and the
// `except*` analogue handle_group(eg).on<E>(...).rethrow_rest().
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

using namespace spindle;

namespace {

template <class E>
std::exception_ptr make(const char* what) {
  return std::make_exception_ptr(E(what));
}

// A readable picture of a group's tree: "msg[a, inner[b, c]]" (leaves by what()).
std::string shape(const ExceptionGroup& g);
std::string shape_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const ExceptionGroup& g) {
    return shape(g);
  } catch (const std::exception& x) {
    return x.what();
  }
}
std::string shape(const ExceptionGroup& g) {
  std::string s = g.message() + "[";
  for (std::size_t i = 0; i < g.exceptions().size(); ++i) {
    s += (i ? ", " : "") + shape_of(g.exceptions()[i]);
  }
  return s + "]";
}

// outer[v1, inner[t1, v2, innermost[i1]], i2]
ExceptionGroup nested_group() {
  ExceptionGroup innermost("innermost", {make<std::out_of_range>("i1")});
  ExceptionGroup inner("inner", {make<std::invalid_argument>("t1"), make<std::domain_error>("v2"),
                                 std::make_exception_ptr(innermost)});
  return ExceptionGroup("outer", {make<std::domain_error>("v1"), std::make_exception_ptr(inner),
                                  make<std::out_of_range>("i2")});
}

}  // namespace

TEST_SUITE("exception_group") {
  TEST_CASE("ExceptionGroup: message, exceptions in order, what() lists them") {
    ExceptionGroup g("Errors", {make<std::domain_error>("A"), make<std::invalid_argument>("B")});
    static_assert(std::is_base_of_v<std::exception, ExceptionGroup>);
    CHECK(g.message() == "Errors");
    REQUIRE(g.exceptions().size() == 2);
    CHECK_THROWS_AS(std::rethrow_exception(g.exceptions()[0]), std::domain_error);
    CHECK_THROWS_AS(std::rethrow_exception(g.exceptions()[1]), std::invalid_argument);
    const std::string what = g.what();
    CHECK(what.find("Errors") == 0);
    CHECK(what.find("2 sub-exceptions") != std::string::npos);
    CHECK(what.find("A") != std::string::npos);
    CHECK(what.find("B") != std::string::npos);
    CHECK(std::string(ExceptionGroup("one", {make<std::domain_error>("x")}).what())
              .find("1 sub-exception)") != std::string::npos);
  }

  TEST_CASE("split<E>: flat group; order kept, message on both sides, an empty side is nullopt") {
    ExceptionGroup g("flat", {make<std::domain_error>("a"), make<std::out_of_range>("b"),
                              make<std::domain_error>("c")});
    auto [match, rest] = g.split<std::domain_error>();
    REQUIRE(match);
    REQUIRE(rest);
    CHECK(shape(*match) == "flat[a, c]");
    CHECK(shape(*rest) == "flat[b]");
    // Matching by base class.
    auto [logic, other] = g.split<std::logic_error>();
    REQUIRE(logic);
    CHECK(shape(*logic) == "flat[a, b, c]");
    CHECK_FALSE(other);
    auto [none, all] = g.split<std::bad_alloc>();
    CHECK_FALSE(none);
    REQUIRE(all);
    CHECK(shape(*all) == "flat[a, b, c]");
    // The leaves are the same exception objects, not copies.
    CHECK(match->exceptions()[0] == g.exceptions()[0]);
  }

  TEST_CASE("split<E>: nested groups keep their nesting on both sides (Python's split)") {
    const ExceptionGroup g = nested_group();
    CHECK(shape(g) == "outer[v1, inner[t1, v2, innermost[i1]], i2]");
    {
      auto [match, rest] = g.split<std::domain_error>();
      REQUIRE(match);
      REQUIRE(rest);
      CHECK(shape(*match) == "outer[v1, inner[v2]]");
      CHECK(shape(*rest) == "outer[inner[t1, innermost[i1]], i2]");
    }
    {
      auto [match, rest] = g.split<std::out_of_range>();
      REQUIRE(match);
      REQUIRE(rest);
      CHECK(shape(*match) == "outer[inner[innermost[i1]], i2]");
      CHECK(shape(*rest) == "outer[v1, inner[t1, v2]]");
    }
    {
      // A subgroup with nothing on one side disappears from that side entirely.
      auto [match, rest] = g.split<std::invalid_argument>();
      REQUIRE(match);
      CHECK(shape(*match) == "outer[inner[t1]]");
      REQUIRE(rest);
      CHECK(shape(*rest) == "outer[v1, inner[v2, innermost[i1]], i2]");
    }
    {
      auto [match, rest] = g.split<std::exception>();
      REQUIRE(match);
      CHECK(shape(*match) == shape(g));
      CHECK_FALSE(rest);
    }
  }

  TEST_CASE("handle_group: clauses in order, each with its matching subgroup; nothing left") {
    ExceptionGroup g("Errors", {make<std::domain_error>("Error in coro A"),
                                make<std::invalid_argument>("Error in coro B"),
                                make<std::out_of_range>("Error in coro C")});
    std::vector<std::string> seen;
    auto h = handle_group(g);
    h.on<std::domain_error>([&](const ExceptionGroup& sub) { seen.push_back("D " + shape(sub)); })
        .on<std::invalid_argument>(
            [&](const ExceptionGroup& sub) { seen.push_back("I " + shape(sub)); })
        .on<std::out_of_range>(
            [&](const ExceptionGroup& sub) { seen.push_back("O " + shape(sub)); });
    CHECK_NOTHROW(h.rethrow_rest());
    CHECK(seen == std::vector<std::string>{"D Errors[Error in coro A]", "I Errors[Error in coro B]",
                                           "O Errors[Error in coro C]"});
  }

  TEST_CASE(
      "handle_group: a leaf goes to the first clause that matches; unmatched clauses not run") {
    ExceptionGroup g("g", {make<std::invalid_argument>("ia"), make<std::out_of_range>("oor"),
                           make<std::runtime_error>("rt")});
    std::vector<std::string> seen;
    try {
      handle_group(g)
          .on<std::invalid_argument>([&](const ExceptionGroup& sub) { seen.push_back(shape(sub)); })
          .on<std::logic_error>([&](const ExceptionGroup& sub) { seen.push_back(shape(sub)); })
          .on<std::bad_alloc>([&](const ExceptionGroup&) { seen.push_back("bad_alloc?"); })
          .rethrow_rest();
      FAIL("the runtime_error was not handled: rethrow_rest must throw");
    } catch (const ExceptionGroup& rest) {
      CHECK(shape(rest) == "g[rt]");
    }
    CHECK(seen == std::vector<std::string>{"g[ia]", "g[oor]"});
  }

  TEST_CASE("handle_group on nested groups: subgroups keep their nesting, rethrow_rest too") {
    const ExceptionGroup g = nested_group();
    std::vector<std::string> seen;
    try {
      handle_group(g)
          .on<std::out_of_range>([&](const ExceptionGroup& sub) { seen.push_back(shape(sub)); })
          .on<std::invalid_argument>([&](const ExceptionGroup& sub) { seen.push_back(shape(sub)); })
          .rethrow_rest();
      FAIL("rethrow_rest must throw the domain_errors");
    } catch (const ExceptionGroup& rest) {
      CHECK(shape(rest) == "outer[v1, inner[v2]]");
    }
    CHECK(seen == std::vector<std::string>{"outer[inner[innermost[i1]], i2]", "outer[inner[t1]]"});
    // After everything is handled, later clauses do not run and nothing is rethrown.
    int later = 0;
    CHECK_NOTHROW(handle_group(g)
                      .on<std::exception>([](const ExceptionGroup&) {})
                      .on<std::exception>([&](const ExceptionGroup&) { ++later; })
                      .rethrow_rest());
    CHECK(later == 0);
  }

  TEST_CASE("a handler's own exception propagates out of on<>") {
    ExceptionGroup g("g", {make<std::domain_error>("x")});
    CHECK_THROWS_AS(handle_group(g).on<std::domain_error>(
                        [](const ExceptionGroup&) { throw std::runtime_error("handler failed"); }),
                    std::runtime_error);
  }

  TEST_CASE("an ExceptionGroup from task_group, handled per type") {
    std::vector<std::string> seen;
    spindle_test::run_virtual([&] {
      try {
        task_group([](TaskGroup& tg) {
          tg.spawn([] {
            sleep(std::chrono::seconds(1));
            throw std::domain_error("A");
          });
          tg.spawn([] {
            sleep(std::chrono::seconds(1));
            throw std::out_of_range("B");
          });
        });
      } catch (const ExceptionGroup& eg) {
        handle_group(eg)
            .on<std::out_of_range>([&](const ExceptionGroup& sub) { seen.push_back(shape(sub)); })
            .on<std::domain_error>([&](const ExceptionGroup& sub) { seen.push_back(shape(sub)); })
            .rethrow_rest();
      }
    });
    CHECK(seen == std::vector<std::string>{"unhandled errors in a TaskGroup[B]",
                                           "unhandled errors in a TaskGroup[A]"});
  }

}  // TEST_SUITE exception_group
