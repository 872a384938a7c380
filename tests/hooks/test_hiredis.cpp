// hiredis, unmodified (its blocking API: redisConnect, redisCommand), against a real redis-server:
// 100 fibers each wait in a blocking BLPOP at the same time on one thread.
#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "kv/server_support.hpp"
#include "loopback.hpp"
#include "support.hpp"

using namespace spindle;

namespace {

// A port that was free a moment ago (redis-server takes a number, not 0).
std::uint16_t free_port() {
  std::uint16_t port = 0;
  ::close(hooks_test::loopback_listener(port));
  return port;
}

struct Reply {
  redisReply* r;
  explicit Reply(void* p) : r(static_cast<redisReply*>(p)) {}
  ~Reply() {
    if (r) freeReplyObject(r);
  }
};

// redis-server's count of clients blocked in BLPOP and the like.
long blocked_clients(redisContext* c) {
  Reply info(redisCommand(c, "INFO clients"));
  INFO("hiredis: " << c->errstr);
  REQUIRE(info.r);
  const std::string text(info.r->str, info.r->len);
  const auto at = text.find("blocked_clients:");
  REQUIRE(at != std::string::npos);
  return std::stol(text.substr(at + 16));
}

}  // namespace

TEST_SUITE("hooks") {

TEST_CASE("hiredis: 100 fibers in blocking redisCommand calls at once, on one thread") {
  constexpr int kFibers = 100;
  const std::uint16_t port = free_port();
  kv_test::ChildServer server({kv_test::find_on_path("redis-server"), "--port", std::to_string(port),
                               "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"});
  server.wait_for_line("Ready to accept connections");
  std::vector<std::string> popped(kFibers);
  run([&] {
    std::vector<Task<void>> clients;
    for (int i = 0; i < kFibers; ++i) {
      clients.push_back(spawn([&, i] {
        redisContext* c = redisConnect("127.0.0.1", port);
        REQUIRE(c);
        INFO(c->errstr);
        REQUIRE(c->err == 0);
        Reply r(redisCommand(c, "BLPOP list:%d 0", i));  // blocks until main pushes
        if (r.r && r.r->type == REDIS_REPLY_ARRAY && r.r->elements == 2) {
          popped[i] = std::string(r.r->element[0]->str) + "=" + r.r->element[1]->str;
        }
        redisFree(c);
      }));
    }
    redisContext* control = redisConnect("127.0.0.1", port);
    REQUIRE(control);
    // All 100 are inside BLPOP in the server while this fiber still runs: one thread, 100
    // blocking calls in flight.
    long blocked = 0;
    for (int tries = 0; tries < 10'000 && blocked < kFibers; ++tries) blocked = blocked_clients(control);
    CHECK(blocked == kFibers);
    for (int i = 0; i < kFibers; ++i) Reply(redisCommand(control, "RPUSH list:%d v%d", i, i));
    for (auto& t : clients) t.join();
    redisFree(control);
  });
  for (int i = 0; i < kFibers; ++i) {
    CHECK(popped[i] == "list:" + std::to_string(i) + "=v" + std::to_string(i));
  }
}

}  // TEST_SUITE
