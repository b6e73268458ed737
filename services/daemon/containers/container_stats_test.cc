#include "services/daemon/containers/container_stats.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(ParseSystemCpuNsTest, SumsTheBusyAndIdleTicksOfTheCpuLine) {
  std::string stat =
      "cpu  10 1 5 100 4 0 2 0 7 0\n"
      "cpu0 5 0 2 50 2 0 1 0 0 0\n"
      "intr 123\n";
  absl::StatusOr<uint64_t> ns = ParseSystemCpuNs(stat);
  ASSERT_TRUE(ns.ok()) << ns.status();
  // Guest (7) is inside user already.
  EXPECT_EQ(*ns, uint64_t{122} * (1000000000 / sysconf(_SC_CLK_TCK)));
}

TEST(ParseSystemCpuNsTest, NoCpuLineIsAnError) {
  EXPECT_FALSE(ParseSystemCpuNs("intr 1\n").ok());
  EXPECT_FALSE(ParseSystemCpuNs("cpu 1 x 3\n").ok());
}

}  // namespace
}  // namespace berth
