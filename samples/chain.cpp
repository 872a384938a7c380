// 001 常见 Async I/O 编程模式 / 协程串联: chain.py. get_user_with_posts() chains fetch_user() →
// fetch_posts() (the second needs the first's result); gather() runs the chain for three users at
// once. Random delays (uniform 0.5–2.0 s) from the documented PRNG of common/py_random.hpp; the
// total is the slowest chain, not the sum.
#include <chrono>
#include <cstdio>
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

User fetch_user(samples::PyRandom& random, int user_id) {
  const double delay = random.uniform(0.5, 2.0);
  std::printf("User coro: fetching user by user_id=%d...\n", user_id);
  spindle::sleep(std::chrono::duration_cast<spindle::Duration>(Seconds(delay)));
  User user{user_id, "User" + std::to_string(user_id)};
  std::printf("User coro: fetched user with user_id=%d (done in %.1fs).\n", user_id, delay);
  return user;
}

void fetch_posts(samples::PyRandom& random, const User& user) {
  const double delay = random.uniform(0.5, 2.0);
  std::printf("Post coro: retrieving posts for %s...\n", user.name.c_str());
  spindle::sleep(std::chrono::duration_cast<spindle::Duration>(Seconds(delay)));
  std::vector<std::string> posts;
  for (int i = 1; i < 3; ++i) posts.push_back("Post " + std::to_string(i) + " by " + user.name);
  std::printf("Post coro: got %zu posts by %s (done in %.1fs):\n", posts.size(), user.name.c_str(),
              delay);
  for (const auto& post : posts) std::printf(" - %s\n", post.c_str());
}

void get_user_with_posts(samples::PyRandom& random, int user_id) {
  User user = fetch_user(random, user_id);  // the chain: the posts need the user
  fetch_posts(random, user);
}

}  // namespace

SPINDLE_SAMPLE(chain, "001 协程串联: chain.py") {
  samples::PyRandom random(options.seed);
  const std::vector<int> user_ids{1, 2, 3};
  const spindle::TimePoint start = spindle::now();
  std::vector<spindle::Task<void>> chains;
  for (int id : user_ids) chains.push_back(spindle::spawn(get_user_with_posts, std::ref(random), id));
  spindle::gather(chains);
  const Seconds total = spindle::now() - start;
  std::printf("\n==> Total time: %.2f seconds\n", total.count());
  std::fflush(stdout);
}
