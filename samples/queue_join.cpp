// 003 队列: a producer puts 0..4 one per second; a consumer takes each, works 2 s on it and calls
// task_done(). main waits for the producer, then queue.join() waits until every item is done,
// then cancels the consumer (parked in get() forever otherwise). 10 s in all.
#include <chrono>
#include <iostream>
#include <spindle.hpp>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
void producer(spindle::Queue<int>& queue) {
  for (int i = 0; i < 5; ++i) {
    queue.put(i);
    std::cout << "produced: " << i << '\n';
    spindle::sleep(1s);
  }
}

void consumer(spindle::Queue<int>& queue) {
  while (true) {
    int item = queue.get();  // keeps consuming
    std::cout << "consumed: " << item << '\n';
    spindle::sleep(2s);  // simulated work
    queue.task_done();   // tells join() this item is finished
  }
}
}  // namespace

SPINDLE_SAMPLE(queue_join, "003 队列: producer, consumer, task_done, join") {
  spindle::Queue<int> queue;
  auto produce_task = spindle::spawn(producer, std::ref(queue));
  auto consume_task = spindle::spawn(consumer, std::ref(queue));
  produce_task.get();    // wait for the producer
  queue.join();          // wait until every item has been task_done()
  consume_task.cancel(); // stop the endless consumer
  consume_task.join();
  std::cout << "consumer cancelled: " << std::boolalpha << consume_task.cancelled() << '\n';
}
