#include "scheduler/detail/logger.hpp"

#include "scheduler/errors.hpp"

namespace spindle::detail {

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (const CancelledError& c) {
    return std::string("CancelledError: ") + c.what();
  } catch (...) {  // a stored exception_ptr, rethrown here only to read it: never a forced unwind
    return "unknown exception";
  }
}

}  // namespace spindle::detail
