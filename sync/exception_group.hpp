#pragma once
// Python's ExceptionGroup: several failures reported together (task_group, gather).
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace spindle {

class ExceptionGroup : public std::exception {
 public:
  ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions);
  const char* what() const noexcept override { return what_.c_str(); }
  const std::string& message() const noexcept { return message_; }
  const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

  // {matching, rest}: the leaves that are (or are not) an E, keeping the nesting as Python does.
  // Either side is empty when nothing falls on it.
  template <class E>
  std::pair<std::optional<ExceptionGroup>, std::optional<ExceptionGroup>> split() const {
    return split_by([](const std::exception_ptr& e) {
      try {
        std::rethrow_exception(e);
      } catch (const E&) {
        return true;
      } catch (...) {  // only ever an exception_ptr from the group: no forced_unwind here
        return false;
      }
    });
  }

 private:
  template <class Pred>
  std::pair<std::optional<ExceptionGroup>, std::optional<ExceptionGroup>> split_by(Pred&& is_match)
      const;
  std::string message_;
  std::vector<std::exception_ptr> exceptions_;
  std::string what_;
};

template <class Pred>
std::pair<std::optional<ExceptionGroup>, std::optional<ExceptionGroup>> ExceptionGroup::split_by(
    Pred&& is_match) const {
  std::vector<std::exception_ptr> match, rest;
  for (const auto& e : exceptions_) {
    const ExceptionGroup* nested = nullptr;
    try {
      std::rethrow_exception(e);
    } catch (const ExceptionGroup& g) {
      nested = &g;
      auto [m, r] = g.split_by(is_match);
      if (m) match.push_back(std::make_exception_ptr(*m));
      if (r) rest.push_back(std::make_exception_ptr(*r));
    } catch (...) {  // only ever an exception_ptr from the group: no forced_unwind here
    }
    if (nested) continue;
    (is_match(e) ? match : rest).push_back(e);
  }
  std::optional<ExceptionGroup> m, r;
  if (!match.empty()) m.emplace(message_, std::move(match));
  if (!rest.empty()) r.emplace(message_, std::move(rest));
  return {std::move(m), std::move(r)};
}

// The `except*` analogue: handle_group(eg).on<E>([](const ExceptionGroup& g){...}).rethrow_rest();
class GroupHandler {
 public:
  explicit GroupHandler(const ExceptionGroup& eg) : rest_(eg) {}
  template <class E, class F>
  GroupHandler& on(F&& handler) {
    if (!rest_) return *this;
    auto [match, rest] = rest_->split<E>();
    rest_ = std::move(rest);
    if (match) handler(*match);
    return *this;
  }
  // Throws an ExceptionGroup of what no clause matched; nothing if every leaf was handled.
  void rethrow_rest() {
    if (rest_) throw *rest_;
  }

 private:
  std::optional<ExceptionGroup> rest_;
};

inline GroupHandler handle_group(const ExceptionGroup& eg) { return GroupHandler(eg); }

}  // namespace spindle
