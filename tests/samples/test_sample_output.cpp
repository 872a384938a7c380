// Runs each sample executable under the virtual clock as a child process and compares its WHOLE
// stdout with tests/samples/expected/<name>.txt, line for line.
//
// Expected-file syntax: every line is literal, except that `{%X+N}` stands for a
// time.strftime('%X') timestamp (HH:MM:SS) that must lie exactly N seconds after the file's first
// timestamp line's reference ({%X+0} is the first one). Timestamps are wall-clock text, so only
// their virtual differences are checked. The last line of every file is `elapsed: X.XX s` from
// --report-elapsed.
//
// Environment (set by tests/samples/meson.build):
//   SPINDLE_SAMPLES_DIR           build dir of samples/ (the executables and `tour`)
//   SPINDLE_SAMPLES_EXPECTED_DIR  this folder's expected/
//   SPINDLE_SAMPLES_NAMES         comma-separated names of every sample executable built
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v != nullptr, name << " is not set (run through `meson test`)");
  return v;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct ChildResult {
  std::string out;
  int exit_code = -1;
};

// Runs `path args` with stdout captured (stderr passes through).
ChildResult run_child(const fs::path& path, const std::string& args) {
  std::string cmd;  // appended piecewise: g++ 12 warns falsely (-Wrestrict) on "'" + std::string
  cmd.append("'").append(path.string()).append("' ").append(args);
  ChildResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE_MESSAGE(pipe != nullptr, "popen failed for " << cmd);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) r.out.append(buf, n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::vector<std::string> read_expected(const std::string& name) {
  fs::path p = fs::path(env("SPINDLE_SAMPLES_EXPECTED_DIR")) / (name + ".txt");
  std::ifstream in(p);
  REQUIRE_MESSAGE(in.good(), "no expected output " << p);
  std::ostringstream s;
  s << in.rdbuf();
  return split_lines(s.str());
}

// Compares `actual` with `expected` (see the syntax above); reports every mismatching line.
void compare_lines(const std::vector<std::string>& expected,
                   const std::vector<std::string>& actual) {
  static const std::regex placeholder(R"(\{%X\+(\d+)\})");
  static const std::regex clock(R"((\d\d):(\d\d):(\d\d))");
  std::optional<long> base;  // seconds of the day at {%X+0}
  CHECK_MESSAGE(actual.size() == expected.size(),
                "expected " << expected.size() << " lines, got " << actual.size());
  for (std::size_t i = 0; i < std::min(expected.size(), actual.size()); ++i) {
    const std::string& e = expected[i];
    const std::string& a = actual[i];
    INFO("line " << i + 1 << ": expected '" << e << "', got '" << a << "'");
    std::smatch m;
    if (!std::regex_search(e, m, placeholder)) {
      CHECK(a == e);
      continue;
    }
    std::string prefix = m.prefix(), suffix = m.suffix();
    long offset = std::stol(m[1]);
    bool shape = a.size() == prefix.size() + 8 + suffix.size() && a.starts_with(prefix) &&
                 a.ends_with(suffix);
    CHECK_MESSAGE(shape, "not '" << prefix << "HH:MM:SS" << suffix << "'");
    std::smatch c;
    std::string stamp = shape ? a.substr(prefix.size(), 8) : std::string();
    if (!shape || !std::regex_match(stamp, c, clock)) continue;
    long secs = std::stol(c[1]) * 3600 + std::stol(c[2]) * 60 + std::stol(c[3]);
    if (!base) base = secs - offset;
    long diff = ((secs - *base) % 86400 + 86400) % 86400;  // a run may cross midnight
    CHECK_MESSAGE(diff == offset, "timestamp " << stamp << " is " << diff
                                               << " s after the first, expected " << offset);
  }
}

ChildResult run_sample(const std::string& name) {
  ChildResult r =
      run_child(fs::path(env("SPINDLE_SAMPLES_DIR")) / name, "--virtual --report-elapsed");
  CHECK_MESSAGE(r.exit_code == 0, name << " exited with " << r.exit_code);
  return r;
}

void check_sample(const std::string& name) {
  INFO("sample " << name);
  compare_lines(read_expected(name), split_lines(run_sample(name).out));
}

// The value of the last line, `elapsed: X.XX s`.
double elapsed_of(const std::string& out) {
  auto lines = split_lines(out);
  REQUIRE(!lines.empty());
  std::string_view last = lines.back();
  REQUIRE(last.starts_with("elapsed: "));
  return std::stod(std::string(last.substr(9)));
}

const std::set<std::string> kCovered{
    "say_after_sequential",
    "say_after_tasks",
    "say_after_task_group",
    "nested",
    "synchronous",
    "countasync",
    "create_task_reverse",
    "chess_exhibition",
    "func_wait",
    "others_chain",
    "ensure_future",
    "future_set_after",
    "factorial",
    "timeout",
    "timeout_reschedule",
    "wait_for_eternity",
    "gather_tasks",
    "as_completed",
    "exception_group",
    "task_names",
    "wait_timeout_cancel",
    "wait_done_pending",
    "gather_random",
    "wait_for_timeout",
    "exit_stack",
    "context_manager",
    "rand",
    "chain",
    "chained",
    "powers_of_two",
    "counter_iterator",
    "queue_join",
    "semaphore_workers",
    "to_thread",
    "check_sites",
};

}  // namespace

TEST_CASE("every sample built has an output test and an expected file") {
  std::set<std::string> built;
  std::stringstream names(env("SPINDLE_SAMPLES_NAMES"));
  for (std::string n; std::getline(names, n, ',');) built.insert(n);
  for (const auto& n : built) {
    CHECK_MESSAGE(kCovered.count(n) == 1, n << " has no TEST_CASE here");
    CHECK_MESSAGE(fs::exists(fs::path(env("SPINDLE_SAMPLES_EXPECTED_DIR")) / (n + ".txt")),
                  n << " has no expected/" << n << ".txt");
  }
  for (const auto& n : kCovered) CHECK_MESSAGE(built.count(n) == 1, n << " is not built");
}

TEST_CASE("say_after_sequential: one call after the other takes 1 s + 2 s") {
  check_sample("say_after_sequential");
  CHECK(elapsed_of(run_sample("say_after_sequential").out) == doctest::Approx(3.0));
}
TEST_CASE("say_after_tasks: two tasks take 2 s") {
  check_sample("say_after_tasks");
  CHECK(elapsed_of(run_sample("say_after_tasks").out) == doctest::Approx(2.0));
}
TEST_CASE("say_after_task_group: leaving the group waits for both, 2 s") {
  check_sample("say_after_task_group");
}
TEST_CASE("nested prints 42") { check_sample("nested"); }
TEST_CASE("synchronous: 6.00 s") {
  check_sample("synchronous");
  CHECK(elapsed_of(run_sample("synchronous").out) == doctest::Approx(6.0));
}
TEST_CASE("countasync: 2.00 s") {
  check_sample("countasync");
  CHECK(elapsed_of(run_sample("countasync").out) == doctest::Approx(2.0));
}
TEST_CASE("create_task_reverse") { check_sample("create_task_reverse"); }
TEST_CASE("func_wait prints 1 3 2 4") { check_sample("func_wait"); }
TEST_CASE("others_chain") { check_sample("others_chain"); }
TEST_CASE("ensure_future: main start, main end, 1, 1, 2, 2") { check_sample("ensure_future"); }
TEST_CASE("future_set_after prints 666 after 2 s") { check_sample("future_set_after"); }

TEST_CASE("exit_stack: five connections closed LIFO, also when opening the 4th fails") {
  check_sample("exit_stack");
  CHECK(elapsed_of(run_sample("exit_stack").out) == doctest::Approx(1.7));
}
TEST_CASE("context_manager: __aenter__, body, __aexit__ (parks 1 s)") {
  check_sample("context_manager");
  CHECK(elapsed_of(run_sample("context_manager").out) == doctest::Approx(1.0));
}
TEST_CASE("chain and chained: default seed output; the total is the virtual time taken") {
  for (const char* name : {"chain", "chained"}) {
    check_sample(name);
    std::string out = run_sample(name).out;
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex(R"(==> Total time: (\d+\.\d\d) seconds)")));
    CHECK(std::stod(m[1]) == doctest::Approx(elapsed_of(out)));
  }
}
TEST_CASE("rand: the default seed's output, and the invariants for seeds 1..20") {
  check_sample("rand");
  static const std::regex initiated(R"(^\x1b\[(\d+)mInitiated makerandom\((\d)\)\.$)");
  static const std::regex low(R"(^\x1b\[(\d+)mmakerandom\((\d)\) == (\d+) too low; retrying\.$)");
  static const std::regex finished(
      R"(^\x1b\[(\d+)m---> Finished: makerandom\((\d)\) == (\d+)\x1b\[0m$)");
  static const std::regex results(R"(^r1: (\d+), r2: (\d+), r3: (\d+)$)");
  const int threshold[4] = {0, 9, 8, 8};
  const char* color[4] = {"0", "36", "91", "35"};
  for (int seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    ChildResult r = run_child(fs::path(env("SPINDLE_SAMPLES_DIR")) / "rand",
                              "--virtual --seed " + std::to_string(seed));
    CHECK(r.exit_code == 0);
    auto lines = split_lines(r.out);
    int initiated_n[4] = {}, finished_n[4] = {}, tries[4] = {}, value[4] = {};
    bool results_seen = false;
    for (const auto& line : lines) {
      INFO("line '" << line << "'");
      std::smatch m;
      if (std::regex_match(line, m, initiated)) {
        int d = std::stoi(m[2]);
        CHECK(m[1] == color[d]);
        CHECK(finished_n[d] == 0);
        ++initiated_n[d];
      } else if (std::regex_match(line, m, low)) {
        int d = std::stoi(m[2]);
        CHECK(m[1] == color[d]);
        CHECK(initiated_n[d] == 1);
        CHECK(finished_n[d] == 0);
        CHECK(std::stoi(m[3]) <= threshold[d]);
        ++tries[d];
      } else if (std::regex_match(line, m, finished)) {
        int d = std::stoi(m[2]);
        CHECK(m[1] == color[d]);
        CHECK(std::stoi(m[3]) > threshold[d]);
        CHECK(std::stoi(m[3]) <= 10);
        value[d] = std::stoi(m[3]);
        ++finished_n[d];
      } else if (std::regex_match(line, m, results)) {
        results_seen = true;
        for (int d = 1; d <= 3; ++d) CHECK(std::stoi(m[d]) == value[d]);
      } else {
        CHECK(line.empty());
      }
    }
    CHECK(results_seen);
    for (int d = 1; d <= 3; ++d) {
      CHECK(initiated_n[d] == 1);
      CHECK(finished_n[d] == 1);
    }
    // Each retry sleeps `delay` s; the three run concurrently, so the run takes the longest.
    ChildResult timed = run_child(fs::path(env("SPINDLE_SAMPLES_DIR")) / "rand",
                                  "--virtual --report-elapsed --seed " + std::to_string(seed));
    double longest = std::max({tries[1] * 1.0, tries[2] * 2.0, tries[3] * 3.0});
    CHECK(elapsed_of(timed.out) == doctest::Approx(longest));
  }
}
TEST_CASE("powers_of_two: [1, 2, 4, 8, 16] and [1, 2, 16] in 2 s") {
  check_sample("powers_of_two");
  CHECK(elapsed_of(run_sample("powers_of_two").out) == doctest::Approx(2.0));
}
TEST_CASE("counter_iterator counts 1..10") { check_sample("counter_iterator"); }
TEST_CASE("queue_join: join returns after the last task_done, 10 s") {
  check_sample("queue_join");
  CHECK(elapsed_of(run_sample("queue_join").out) == doctest::Approx(10.0));
}
TEST_CASE("semaphore_workers: at most two at once, 3 s") {
  check_sample("semaphore_workers");
  CHECK(elapsed_of(run_sample("semaphore_workers").out) == doctest::Approx(3.0));
}


// Structured concurrency, timeouts and ExceptionGroup (issue 4).
TEST_CASE("factorial: gather of three, the interleaving of the material, [2, 6, 24] after 3 s") {
  check_sample("factorial");
}
TEST_CASE("timeout: TimeoutError handled after 10 s") { check_sample("timeout"); }
TEST_CASE("timeout_reschedule: timeout(nullopt), reschedule(+10 s), expired()") {
  check_sample("timeout_reschedule");
}
TEST_CASE("wait_for_eternity: timeout! after 1 s") { check_sample("wait_for_eternity"); }
TEST_CASE("gather_tasks: results in argument order after 2 s") { check_sample("gather_tasks"); }
TEST_CASE("as_completed: completion order, at 1 s and 2 s") { check_sample("as_completed"); }
TEST_CASE("exception_group: one except* clause per type") { check_sample("exception_group"); }
TEST_CASE("task_names: two named tasks in 2 s") { check_sample("task_names"); }
TEST_CASE("wait_timeout_cancel: the exact output of seed 003's A/B/C example") {
  check_sample("wait_timeout_cancel");
}
TEST_CASE("wait_done_pending: done after 2 s; with timeout=1 both pending") {
  check_sample("wait_done_pending");
}
TEST_CASE("wait_for_timeout: Timeout! after 1 s") { check_sample("wait_for_timeout"); }
TEST_CASE("to_thread: blocking_io beside a 1 s sleep; 1 s of loop time") {
  check_sample("to_thread");
  CHECK(elapsed_of(run_sample("to_thread").out) == doctest::Approx(1.0));
}
TEST_CASE("check_sites: three GETs at once, answered in the stand-in's latency order; 0.3 s") {
  check_sample("check_sites");
  CHECK(elapsed_of(run_sample("check_sites").out) == doctest::Approx(0.3));
}
TEST_CASE("gather_random: for any seed, draws in 1..10, results in argument order, max draw s") {
  check_sample("gather_random");  // --seed 0, the default (and the tour's)
  static const std::regex draw(R"((\d) wait sec (\d+))");
  std::set<std::string> outputs;
  for (int seed : {0, 1, 2, 3, 42, 4444, 123456789}) {
    INFO("seed " << seed);
    const std::string args = "--virtual --report-elapsed --seed " + std::to_string(seed);
    ChildResult r = run_child(fs::path(env("SPINDLE_SAMPLES_DIR")) / "gather_random", args);
    CHECK(r.exit_code == 0);
    CHECK(run_child(fs::path(env("SPINDLE_SAMPLES_DIR")) / "gather_random", args).out == r.out);
    outputs.insert(r.out);
    auto lines = split_lines(r.out);
    REQUIRE(lines.size() == 5);
    int longest = 0;
    for (int i = 0; i < 3; ++i) {
      std::smatch m;
      REQUIRE(std::regex_match(lines[i], m, draw));
      CHECK(std::stoi(m[1]) == i + 1);  // the fibers start in argument order
      const int sec = std::stoi(m[2]);
      CHECK(sec >= 1);
      CHECK(sec <= 10);
      longest = std::max(longest, sec);
    }
    CHECK(lines[3] == "['fetched 1', 'fetched 2', 'fetched 3']");
    CHECK(elapsed_of(r.out) == doctest::Approx(longest));
  }
  CHECK(outputs.size() > 1);  // the seed matters
}

TEST_CASE("chess_exhibition: 12 h synchronous vs 1 h asynchronous") {
  check_sample("chess_exhibition");
  std::string out = run_sample("chess_exhibition").out;
  CHECK(out.find("Synchronous exhibition: 12:00:00 (12.00 h)\n") != std::string::npos);
  CHECK(out.find("Judit's last move at 01:00:00 (1.00 h)") != std::string::npos);
  // 12 h + the asynchronous exhibition's 1 h 55 s (its last opponent answers after Judit's move).
  CHECK(elapsed_of(out) == doctest::Approx(12 * 3600.0 + 3600 + 55));
}

TEST_CASE("tour --virtual runs every sample with the same output") {
  ChildResult r = run_child(fs::path(env("SPINDLE_SAMPLES_DIR")) / "tour", "--virtual");
  CHECK(r.exit_code == 0);
  auto lines = split_lines(r.out);
  // Sections: "=== <name>: <title> ===", the sample's lines (maybe with empty ones),
  // "(<name>: X.XX s of virtual time)",
  // "".
  std::set<std::string> seen;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].starts_with("=== ")) continue;
    std::string name = lines[i].substr(4, lines[i].find(':') - 4);
    INFO("tour section " << name);
    seen.insert(name);
    auto expected = read_expected(name);
    std::string elapsed = expected.back().substr(9);  // "X.XX s"
    expected.back() = "(" + name + ": " + elapsed + " of virtual time)";
    std::vector<std::string> section;
    // Up to and including "(<name>: X.XX s of virtual time)": a sample may print empty lines.
    for (std::size_t j = i + 1; j < lines.size(); ++j) {
      section.push_back(lines[j]);
      if (lines[j].starts_with("(" + name + ": ")) break;
    }
    compare_lines(expected, section);
  }
  CHECK(seen == kCovered);
  CHECK(!lines.empty());
  if (!lines.empty()) {
    CHECK(lines.back() == "tour: " + std::to_string(kCovered.size()) + " samples, 0 failures");
  }
}
