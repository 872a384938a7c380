// 001 Async I/O 原理 and 004 2)-example-国际象棋比赛: Judit Polgár plays 24 amateurs. Judit takes
// 5 s per move, each opponent 55 s, a game is 30 move pairs.
//   Synchronous: one game to the end, then the next: (5 + 55) * 30 = 1800 s a game, 24 games = 12
//   h. Asynchronous: Judit moves at each board in turn and walks on while that opponent thinks: 24
//   * 5 = 120 s a round, 30 rounds = 1 h of Judit's moves (the material's figure); the last
//   opponent still answers 55 s after her last move, so the last game ends at 1 h 55 s.
// Judit is one fiber, so she can only ever make one move at a time; each opponent's reply is a
// task she collects the next time she reaches that board. Under --virtual the times are exact.
// --time-scale X multiplies every move's duration (the real-time tour uses 1/3600); the printed
// times are divided by it again, so they always read in exhibition time.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <spindle.hpp>
#include <string>
#include <vector>

#include "common/registry.hpp"

using namespace std::chrono_literals;

namespace {
constexpr int kBoards = 24;
constexpr int kMovePairs = 30;
constexpr std::chrono::seconds kJuditMove = 5s;
constexpr std::chrono::seconds kOpponentMove = 55s;

class Exhibition {
 public:
  explicit Exhibition(double time_scale) : scale_(time_scale), start_(spindle::now()) {}

  void judit_moves() const { spindle::sleep(scaled(kJuditMove)); }
  void opponent_moves() const { spindle::sleep(scaled(kOpponentMove)); }

  // Exhibition time since the start, in seconds.
  double elapsed() const {
    return std::chrono::duration<double>(spindle::now() - start_).count() / scale_;
  }

 private:
  spindle::Duration scaled(std::chrono::seconds d) const {
    return std::chrono::duration_cast<spindle::Duration>(std::chrono::duration<double>(d) * scale_);
  }
  double scale_;
  spindle::TimePoint start_;
};

std::string hms(double seconds) {
  long s = std::lround(seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

std::string hours(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f h", seconds / 3600);
  return buf;
}

// Judit sits at one board until its game is over; every opponent but the current one waits.
double synchronous_exhibition(double scale) {
  std::cout << "Synchronous: Judit plays one game to the end, then the next\n";
  Exhibition ex(scale);
  for (int board = 1; board <= kBoards; ++board) {
    for (int pair = 0; pair < kMovePairs; ++pair) {
      ex.judit_moves();
      ex.opponent_moves();  // Judit waits at the board while the opponent thinks
    }
    std::cout << "  game " << board << " over at " << hms(ex.elapsed()) << '\n';
  }
  double total = ex.elapsed();
  std::cout << "Synchronous exhibition: " << hms(total) << " (" << hours(total) << ")\n";
  return total;
}

// Judit moves at each board in turn; the opponent thinks in a task of its own meanwhile.
double asynchronous_exhibition(double scale) {
  std::cout << "Asynchronous: Judit makes one move at each board in turn\n";
  Exhibition ex(scale);
  std::vector<spindle::Task<void>> replies(kBoards);
  for (int round = 1; round <= kMovePairs; ++round) {
    for (auto& reply : replies) {
      if (reply.valid()) reply.get();  // the opponent's answer (already there: 55 s < 120 s)
      ex.judit_moves();
      reply = spindle::spawn([&ex] { ex.opponent_moves(); });
    }
    std::cout << "  round " << round << " of Judit's moves done at " << hms(ex.elapsed()) << '\n';
  }
  double judit_done = ex.elapsed();
  spindle::gather(replies);  // the last answers
  double total = ex.elapsed();
  std::cout << "Asynchronous exhibition: Judit's last move at " << hms(judit_done) << " ("
            << hours(judit_done) << "), the last game over at " << hms(total) << " ("
            << hours(total) << ")\n";
  return judit_done;
}
}  // namespace

SPINDLE_SAMPLE(chess_exhibition,
               "001 Async I/O 原理 / 004 国际象棋比赛: Judit Polgár's exhibition") {
  std::cout << "Judit Polgár against " << kBoards << " opponents: Judit " << kJuditMove.count()
            << " s per move, opponents " << kOpponentMove.count() << " s per move, " << kMovePairs
            << " move pairs a game\n";
  if (options.time_scale != 1.0) {
    std::cout << "(every duration scaled by ";
    if (options.time_scale < 1)
      std::cout << "1/" << std::lround(1 / options.time_scale);
    else
      std::cout << options.time_scale;
    std::cout << "; the times below are exhibition times, in which the real clock's timer latency "
                 "(about 0.1 ms per move) is magnified by the scale)\n";
  }
  double sync = synchronous_exhibition(options.time_scale);
  double async = asynchronous_exhibition(options.time_scale);
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.0f", sync / async);
  std::cout << "Exhibition: " << hours(sync) << " synchronously, " << hours(async)
            << " asynchronously up to Judit's last move (" << ratio << "x shorter)\n";
}
