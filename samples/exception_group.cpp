// 001 异步异常处理: gather(..., return_exceptions=True) → ExceptionGroup → except* per type.
// Three fibers fail with three unrelated exceptions (after 1 s, 2 s and 0.5 s); gather with
// return_exceptions collects them as Outcomes instead of throwing the first; main raises an
// ExceptionGroup of the failures; handle_group(...).on<E>(...) is `except* E`, each clause called
// with the subgroup of its type, in clause order. 2 s in all.
#include <chrono>
#include <exception>
#include <iostream>
#include <spindle.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
// Python's built-in exception types, as C++ exceptions with Python's names.
struct ValueError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};
struct TypeError : std::logic_error {
  using std::logic_error::logic_error;
};
struct IndexError : std::out_of_range {
  using std::out_of_range::out_of_range;
};

void coro_a() {
  spindle::sleep(1s);
  throw ValueError("Error in coro A");
}
void coro_b() {
  spindle::sleep(2s);
  throw TypeError("Error in coro B");
}
void coro_c() {
  spindle::sleep(500ms);
  throw IndexError("Error in coro C");
}

void main_() {
  auto results = spindle::gather(spindle::return_exceptions, coro_a, coro_b, coro_c);
  std::vector<std::exception_ptr> exceptions;
  std::apply(
      [&](const auto&... r) { ((r.error() ? exceptions.push_back(r.error()) : void()), ...); },
      results);
  if (!exceptions.empty()) throw spindle::ExceptionGroup("Errors", exceptions);
}

// repr() of a subgroup's exceptions tuple: "(ValueError('Error in coro A'),)".
template <class E>
std::string repr_exceptions(const spindle::ExceptionGroup& group, const char* type_name) {
  std::string items;
  for (const auto& e : group.exceptions()) {
    try {
      std::rethrow_exception(e);
    } catch (const E& x) {
      items += (items.empty() ? "" : ", ") + std::string(type_name) + "('" + x.what() + "')";
    }
  }
  return "(" + items + (group.exceptions().size() == 1 ? ",)" : ")");
}
}  // namespace

SPINDLE_SAMPLE(exception_group, "001 异步异常处理: ExceptionGroup and except*") {
  try {
    main_();
  } catch (const spindle::ExceptionGroup& eg) {
    spindle::handle_group(eg)
        .on<ValueError>([](const spindle::ExceptionGroup& ve_group) {
          std::cout << "[ValueError handled] "
                    << repr_exceptions<ValueError>(ve_group, "ValueError") << '\n';
        })
        .on<TypeError>([](const spindle::ExceptionGroup& te_group) {
          std::cout << "[TypeError handled] " << repr_exceptions<TypeError>(te_group, "TypeError")
                    << '\n';
        })
        .on<IndexError>([](const spindle::ExceptionGroup& ie_group) {
          std::cout << "[IndexError handled] "
                    << repr_exceptions<IndexError>(ie_group, "IndexError") << '\n';
        })
        .rethrow_rest();
  }
}
