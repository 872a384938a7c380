// libcurl's easy API, unmodified: curl_easy_perform in 50 fibers at once against spindle's own
// http_server, and a cancelled transfer that leaves no descriptor or thread behind.
#include <curl/curl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "kv/server_support.hpp"
#include "loopback.hpp"
#include "support.hpp"

using namespace spindle;
using namespace spindle_test;

namespace {

std::size_t keep_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The HTTP status of GET `url`, or -curl's error code.
long fetch(const std::string& url, std::string& body) {
  CURL* h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &keep_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  return rc == CURLE_OK ? status : -static_cast<long>(rc);
}

std::size_t thread_count() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

}  // namespace

TEST_SUITE("hooks") {

TEST_CASE("libcurl: 50 curl_easy_perform calls at once from fibers, and one cut by a timeout") {
  const char* http_server = std::getenv("HTTP_SERVER");
  REQUIRE_MESSAGE(http_server, "HTTP_SERVER is not set (run through meson test)");
  kv_test::ChildServer server({http_server, "--host", "127.0.0.1", "--port", "0"});
  const std::string line = server.wait_for_line("listening on 127.0.0.1:");
  const std::string base = "http://127.0.0.1:" + line.substr(line.rfind(':') + 1);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  run([&] {
    std::vector<Task<long>> fetches;
    std::vector<std::string> bodies(50);
    for (int i = 0; i < 50; ++i) fetches.push_back(spawn([&, i] { return fetch(base + "/", bodies[i]); }));
    for (int i = 0; i < 50; ++i) {
      CHECK(fetches[i].get() == 200);
      CHECK_FALSE(bodies[i].empty());
    }
    // A server that accepts and never answers: the transfer is cut by the timeout, and what it
    // opened is closed again.
    std::uint16_t silent_port = 0;
    const int silent = hooks_test::loopback_listener(silent_port);
    const std::string stalled = "http://127.0.0.1:" + std::to_string(silent_port) + "/";
    const std::size_t fds_before = open_fd_count();
    const std::size_t threads_before = thread_count();
    std::string body;
    long result = 0;
    CHECK_THROWS_AS(timeout(200ms, [&] { result = fetch(stalled, body); }), TimeoutError);
    CHECK(result < 0);  // curl saw its poll fail (ECANCELED) and gave up
    CHECK(open_fd_count() == fds_before);
    CHECK(thread_count() == threads_before);
    ::close(silent);
  });
  curl_global_cleanup();
}

}  // TEST_SUITE
