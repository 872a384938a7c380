#include "scheduler/instrument.hpp"

namespace spindle::detail {

void note_spawn(Instrument& in, TaskBase& t, const SpawnSite& site) noexcept {
  in.on_spawn(TaskRef(&t), site);
}

void note_park(Instrument& in, TaskBase& t, const char* what, const void* object) noexcept {
  in.on_park(TaskRef(&t), what, object);
}

void note_wake(Instrument& in, TaskBase& t, TaskBase* by) noexcept {
  in.on_wake(TaskRef(&t), TaskRef(by));
}

void note_exit(Instrument& in, TaskBase& t) noexcept { in.on_exit(TaskRef(&t)); }

}  // namespace spindle::detail
