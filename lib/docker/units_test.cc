#include "lib/docker/units.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(ParseByteSizeTest, DockerSuffixes) {
  EXPECT_EQ(*ParseByteSize("512"), 512);
  EXPECT_EQ(*ParseByteSize("64k"), 64 << 10);
  EXPECT_EQ(*ParseByteSize("10m"), 10 << 20);
  EXPECT_EQ(*ParseByteSize("10MB"), 10 << 20);
  EXPECT_EQ(*ParseByteSize("1.5g"), int64_t{3} << 29);
  EXPECT_EQ(*ParseByteSize("2GiB"), int64_t{2} << 30);
}

TEST(ParseByteSizeTest, RefusesNonsense) {
  for (const char* bad : {"", "m", "-1m", "ten", "1x", "1e30g"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace berth
