#include "gateway/http/gate.h"

#include <thread>

#include "gtest/gtest.h"

namespace berth::gateway {
namespace {

TEST(GateTest, ClosedGateTimesOut) {
  Gate gate;
  EXPECT_FALSE(gate.IsOpen());
  EXPECT_FALSE(gate.WaitOpen(absl::Milliseconds(5)));
  EXPECT_EQ(gate.waiters(), 0);
}

TEST(GateTest, OpenReleasesWaiters) {
  Gate gate;
  bool opened = false;
  std::thread waiter([&] { opened = gate.WaitOpen(absl::Seconds(30)); });
  while (gate.waiters() == 0) std::this_thread::yield();
  gate.Open();
  waiter.join();
  EXPECT_TRUE(opened);
  EXPECT_TRUE(gate.IsOpen());
  EXPECT_TRUE(gate.WaitOpen(absl::ZeroDuration()));
}

}  // namespace
}  // namespace berth::gateway
