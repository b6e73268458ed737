#include "lib/docker/timestamp.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(TimestampTest, UnixSecondsAndFractions) {
  EXPECT_EQ(*ParseDockerTimestamp("1700000000"), 1700000000000000000);
  EXPECT_EQ(*ParseDockerTimestamp("1700000000.5"), 1700000000500000000);
  EXPECT_EQ(*ParseDockerTimestamp("1700000000.000000001"), 1700000000000000001);
}

TEST(TimestampTest, Rfc3339) {
  EXPECT_EQ(*ParseDockerTimestamp("2023-11-14T22:13:20Z"), 1700000000000000000);
  EXPECT_EQ(*ParseDockerTimestamp("2023-11-14T23:13:20.25+01:00"),
            1700000000250000000);
}

TEST(TimestampTest, Garbage) {
  for (const char* bad : {"", "abc", "12.x", "1.1234567891", "10s"}) {
    EXPECT_EQ(ParseDockerTimestamp(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

TEST(FormatRfc3339NanoTest, TrimsTheFractionAsGoDoes) {
  EXPECT_EQ(FormatRfc3339Nano(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(1700000000123450000),
            "2023-11-14T22:13:20.12345Z");
  EXPECT_EQ(FormatRfc3339Nano(1700000000000000001),
            "2023-11-14T22:13:20.000000001Z");
  absl::StatusOr<int64_t> parsed =
      ParseDockerTimestamp(FormatRfc3339Nano(1700000000123456789));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, 1700000000123456789);
}

}  // namespace
}  // namespace berth
