// engine::ReadTurns: who reads a PUB/SUB receiver's socket. Real threads; time-outs are the
// function's own (a wait that must end without the socket), with lower bounds only.
#include "engine/read_turns.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace netgear::engine {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(ReadTurns, TheApplicationTakesTheSocketWhenNobodyHoldsIt) {
  ReadTurns turns(1s);
  ASSERT_TRUE(turns.application_takes());
  EXPECT_FALSE(turns.application_takes()) << "a second recv() must wait in the queue";
  turns.application_leaves();
  EXPECT_TRUE(turns.application_takes());
  turns.application_leaves();
}

TEST(ReadTurns, TheThreadTakesItOnlyOnceTheApplicationHasBeenAwayForThePatience) {
  constexpr auto patience = 1s;  // long: being pre-empted for most of it would fail the first check
  ReadTurns turns(patience);
  ASSERT_TRUE(turns.application_takes());
  const auto left = Clock::now();  // no later than the turn's own time stamp
  turns.application_leaves();
  EXPECT_FALSE(turns.thread_takes(20ms)) << "the application left less than the patience ago";
  ASSERT_TRUE(turns.thread_takes(5s));
  EXPECT_GE(Clock::now() - left, patience);
  EXPECT_FALSE(turns.application_takes()) << "the thread holds it now";
  turns.thread_leaves();
  EXPECT_TRUE(turns.application_takes()) << "given back";
  turns.application_leaves();
}

TEST(ReadTurns, TheThreadNeverTakesItFromTheApplication) {
  ReadTurns turns(1ms);
  ASSERT_TRUE(turns.application_takes());
  EXPECT_FALSE(turns.thread_takes(100ms));
  turns.application_leaves();
  EXPECT_TRUE(turns.thread_takes(5s));
  turns.thread_leaves();
}

// An application that held the socket for long (waiting for a slow stream's next frame) wakes the
// thread when it leaves: the thread takes the socket about `patience` after that, not at its next
// look (which, looking every half of the time waited so far, came up to half the hold late).
TEST(ReadTurns, AThreadWaitingOutALongHoldTakesTheSocketSoonAfterTheApplicationLeaves) {
  constexpr auto patience = 10ms;
  constexpr auto hold = 3s;  // the application's own time with the socket: not a synchronisation
  ReadTurns turns(patience);
  ASSERT_TRUE(turns.application_takes());
  std::atomic<bool> taken{false};
  Clock::time_point taken_at;
  std::thread thread([&] {
    taken = turns.thread_takes(20s);
    taken_at = Clock::now();
  });
  std::this_thread::sleep_for(hold);
  EXPECT_FALSE(taken.load()) << "taken from the application";
  const auto left = Clock::now();
  turns.application_leaves();
  thread.join();
  ASSERT_TRUE(taken.load());
  EXPECT_GE(taken_at - left, patience);
  EXPECT_LT(taken_at - left, 500ms) << "the thread was not woken by the leave";
  turns.thread_leaves();
}

TEST(ReadTurns, AWaitingApplicationIsSeen) {
  ReadTurns turns(1ms);
  EXPECT_FALSE(turns.application_waiting());
  turns.application_waits();
  turns.application_waits();
  EXPECT_TRUE(turns.application_waiting());
  turns.application_waited();
  EXPECT_TRUE(turns.application_waiting());
  turns.application_waited();
  EXPECT_FALSE(turns.application_waiting());
}

TEST(ReadTurns, CloseWaitsForTheApplicationToGiveTheSocketBackAndEndsEveryTurn) {
  ReadTurns turns(1ms);
  ASSERT_TRUE(turns.application_takes());
  std::atomic<bool> closed{false};
  std::thread closer([&] {
    turns.close();
    closed = true;
  });
  // close() cannot finish while the application holds the socket; once it gives it back, it must.
  EXPECT_FALSE(turns.thread_takes(100ms));
  EXPECT_FALSE(closed.load());
  turns.application_leaves();
  closer.join();
  EXPECT_TRUE(closed.load());
  EXPECT_FALSE(turns.application_takes());
  const auto start = Clock::now();
  EXPECT_FALSE(turns.thread_takes(5s));
  EXPECT_LT(Clock::now() - start, 1s) << "a closed turn ends the thread's wait at once";
}

}  // namespace
}  // namespace netgear::engine
