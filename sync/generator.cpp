#include "sync/generator.hpp"

#include "scheduler/lowlevel.hpp"
#include "scheduler/timeout.hpp"

namespace spindle::detail {

void GeneratorCore::advance() {
  lowlevel::checkpoint_if_cancelled("Generator::next");
  reset_value();
  if (finished_) return;
  if (!started_) {
    started_ = true;
    start();  // lazy spawn: the body first runs when we park below
  } else {
    producer_.wake_one();
  }
  Waiter w("Generator.next");
  consumer_.wait(w);
  if (finished_) {
    if (!task_.done()) task_.join();  // it is: the body's fiber ends without parking after finish
    task_.result();                   // rethrows the body's exception
  }
}

void GeneratorCore::yield_point() {
  consumer_.wake_one();
  Waiter w("Generator.yield");
  producer_.wait(w);
}

void GeneratorCore::body_finished() {
  finished_ = true;
  consumer_.wake_one();
}

void GeneratorCore::close() noexcept {
  if (!started_ || !task_.valid() || task_.done()) return;
  task_.cancel("generator closed");
  if (!lowlevel::current_task_or_null()) return;  // not on a fiber: run()'s end reaps the body
  shield([&] { task_.join(); });  // shielded: join() cannot throw, even if we are cancelled
  task_.exception();  // looked at: a cancelled body is not "never retrieved"
}

}  // namespace spindle::detail
