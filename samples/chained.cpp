// 001 协程与队列集成: chained.py. The producer fetches three users concurrently and puts each into
// a spindle::Queue as it arrives; three consumers take users and fetch their posts; after the
// users the producer puts one sentinel (an empty optional) per consumer so each stops. Random
// delays as in chain.cpp (common/py_random.hpp).
#include <chrono>
#include <cstdio>
#include <optional>
#include <spindle.hpp>
#include <string>
#include <vector>

#include "common/py_random.hpp"
#include "common/registry.hpp"

namespace {

struct User {
  int id;
  std::string name;
};
using Seconds = std::chrono::duration<double>;
using UserQueue = spindle::Queue<std::optional<User>>;  // std::nullopt = the sentinel (None)

void producer(samples::PyRandom& random, UserQueue& queue, const std::vector<int>& user_ids) {
  auto fetch_user = [&](int user_id) {
    const double delay = random.uniform(0.5, 2.0);
    std::printf("Producer: fetching user by user_id=%d...\n", user_id);
    spindle::sleep(std::chrono::duration_cast<spindle::Duration>(Seconds(delay)));
    User user{user_id, "User" + std::to_string(user_id)};
    std::printf("Producer: fetched user with user_id=%d (done in %.1fs)\n", user_id, delay);
    queue.put(std::move(user));
  };
  std::vector<spindle::Task<void>> fetches;
  for (int uid : user_ids) fetches.push_back(spindle::spawn(fetch_user, uid));
  spindle::gather(fetches);
  for (std::size_t i = 0; i < user_ids.size(); ++i) queue.put(std::nullopt);  // sentinels
}

void consumer(samples::PyRandom& random, UserQueue& queue) {
  while (true) {
    std::optional<User> user = queue.get();
    if (!user) break;
    const double delay = random.uniform(0.5, 2.0);
    std::printf("Consumer: retrieving posts for %s...\n", user->name.c_str());
    spindle::sleep(std::chrono::duration_cast<spindle::Duration>(Seconds(delay)));
    std::vector<std::string> posts;
    for (int i = 1; i < 3; ++i) posts.push_back("Post " + std::to_string(i) + " by " + user->name);
    std::printf("Consumer: got %zu posts by %s (done in %.1fs):\n", posts.size(),
                user->name.c_str(), delay);
    for (const auto& post : posts) std::printf("  - %s\n", post.c_str());
  }
}

}  // namespace

SPINDLE_SAMPLE(chained, "001 协程与队列集成: chained.py") {
  samples::PyRandom random(options.seed);
  UserQueue queue;
  const std::vector<int> user_ids{1, 2, 3};
  const spindle::TimePoint start = spindle::now();
  std::vector<spindle::Task<void>> tasks;
  tasks.push_back(spindle::spawn(producer, std::ref(random), std::ref(queue), std::cref(user_ids)));
  for (std::size_t i = 0; i < user_ids.size(); ++i)
    tasks.push_back(spindle::spawn(consumer, std::ref(random), std::ref(queue)));
  spindle::gather(tasks);
  const Seconds total = spindle::now() - start;
  std::printf("\n==> Total time: %.2f seconds\n", total.count());
  std::fflush(stdout);
}
