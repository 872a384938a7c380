#pragma once
// The planted ordering bug for explore's tests. A transfer checks the balance, writes a journal
// entry (a park) and then moves the money. Bank(locked = false) does so without the ledger lock:
// a second transfer that checks while the first is writing its journal sees the old balance
// (check-then-act across a park) and overdraws the account. Requests arrive one loop turn apart,
// so under FIFO the first transfer has always moved the money before the second checks: FIFO
// never shows the bug; another order of what is ready together does. Bank(locked = true) holds
// the lock from the check to the move: no order breaks it.
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "spindle.hpp"

namespace testing_test {

struct Transfer {
  std::string from, to;
  int amount;
};

class Bank {
 public:
  explicit Bank(bool locked) : locked_(locked) {}

  void open(const std::string& who, int balance) { balance_[who] = balance; }
  int balance(const std::string& who) const { return balance_.at(who); }
  int rejected() const { return rejected_; }

  void transfer(const Transfer& t) {
    std::optional<std::lock_guard<spindle::Lock>> ledger;
    if (locked_) ledger.emplace(ledger_lock_);
    if (balance_[t.from] < t.amount) {
      ++rejected_;
      return;
    }
    spindle::yield_now();  // writing the journal entry
    balance_[t.from] -= t.amount;
    balance_[t.to] += t.amount;
    if (balance_[t.from] < 0) {
      throw std::logic_error("overdrawn: " + t.from + " has " + std::to_string(balance_[t.from]));
    }
  }

 private:
  bool locked_;
  std::map<std::string, int> balance_;
  int rejected_ = 0;
  spindle::Lock ledger_lock_;
};

// Two transfers of 60 from alice's 100, arriving one loop turn apart, each served by its own
// teller fiber: exactly one must be rejected.
inline void two_transfers(bool locked) {
  Bank bank(locked);
  bank.open("alice", 100);
  bank.open("bob", 0);
  bank.open("carol", 0);
  spindle::task_group([&](spindle::TaskGroup& g) {
    g.spawn([&] { bank.transfer({"alice", "bob", 60}); });
    spindle::yield_now();  // the next request arrives a moment later
    g.spawn([&] { bank.transfer({"alice", "carol", 60}); });
  });
  if (bank.rejected() != 1 || bank.balance("alice") != 40) throw std::logic_error("a transfer went wrong");
}

}  // namespace testing_test
