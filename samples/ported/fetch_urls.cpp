// A synchronous program ported to fibers with the hooks (io/hooks/): fetches URLs with libcurl's
// easy API, unmodified. Before, it fetched them one after another; after, each URL gets a fiber,
// and the whole fetch runs under spindle::timeout. curl_easy_perform blocks in poll, recv and send
// as always; linked with libspindle_hooks.so, those park the fiber.
//   build/samples/ported/fetch_urls [--sequential] [--timeout S] [--repeat N] URL...
// Prints one line per URL, in the order given (`200 12 bytes http://...`, or curl's error), then
// how long it took. When the timeout cuts the fetch, it also prints the sockets and threads the
// cut transfers left open: none (each blocked call fails with ECANCELED, curl cleans up).
#include <curl/curl.h>
#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <spindle.hpp>

namespace {

struct Fetch {
  std::string url;
  std::string result = "not started";
};

std::size_t count_bytes(char*, std::size_t size, std::size_t n, void* total) {
  *static_cast<std::size_t*>(total) += size * n;
  return size * n;
}

// The synchronous program's one function: GET `url`, return what happened.
std::string fetch(const std::string& url) {
  CURL* h = curl_easy_init();
  std::size_t bytes = 0;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &count_bytes);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK) return std::string("error: ") + curl_easy_strerror(rc);
  return std::to_string(status) + " " + std::to_string(bytes) + " bytes";
}

// This process's threads, or its open sockets (descriptors whose /proc link says socket:[...]).
int threads() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

int sockets() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      char target[64] = {};
      const std::string link = std::string("/proc/self/fd/") + e->d_name;
      n += readlink(link.c_str(), target, sizeof target - 1) > 0 && std::string(target).starts_with("socket:");
    }
    closedir(d);
  }
  return n;
}

int usage(const char* prog) {
  std::fprintf(stderr, "usage: %s [--sequential] [--timeout SECONDS] [--repeat N] URL...\n", prog);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool sequential = false;
  double timeout_s = 10;
  int repeat = 1;
  std::vector<std::string> urls;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sequential") {
      sequential = true;
    } else if (a == "--timeout" && i + 1 < argc) {
      timeout_s = std::atof(argv[++i]);
      if (timeout_s <= 0) return usage(argv[0]);
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
      if (repeat <= 0) return usage(argv[0]);
    } else if (a.starts_with("--")) {
      return usage(argv[0]);
    } else {
      urls.push_back(a);
    }
  }
  if (urls.empty()) return usage(argv[0]);
  std::vector<Fetch> fetches;
  for (int r = 0; r < repeat; ++r) {
    for (const auto& u : urls) fetches.push_back({u});
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const auto t0 = std::chrono::steady_clock::now();
  int status = 0;
  if (sequential) {  // before
    for (auto& f : fetches) f.result = fetch(f.url);
  } else {
    spindle::run([&] {  // after: a fiber per URL, all under one timeout
      const int sockets_before = sockets(), threads_before = threads();
      try {
        spindle::timeout(std::chrono::duration<double>(timeout_s), [&] {
          // The group's children are cancelled with it, and it returns once they have ended.
          spindle::task_group([&](spindle::TaskGroup& tg) {
            for (auto& f : fetches) tg.spawn([&f] { f.result = fetch(f.url); });
          });
        });
      } catch (const spindle::TimeoutError&) {
        // curl saw its blocked call fail (ECANCELED) and reported an error of its own.
        for (auto& f : fetches) {
          if (f.result.starts_with("error: ")) f.result = "cut by the timeout";
        }
        std::printf("timed out after %g s; left open by the cut transfers: %d sockets, %d threads\n",
                    timeout_s, sockets() - sockets_before, threads() - threads_before);
        status = 1;
      }
    });
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& f : fetches) std::printf("%s %s\n", f.result.c_str(), f.url.c_str());
  std::printf("%zu URLs in %.3f s\n", fetches.size(), took);
  curl_global_cleanup();
  return status;
}
