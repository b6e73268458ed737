#include "lib/base/subprocess.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(RunCommandTest, CollectsBothStreamsAndTheExitCode) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out, "out\n");
  EXPECT_EQ(result->err, "err\n");
  EXPECT_EQ(result->exit_code, 3);
}

TEST(RunCommandTest, OutputLargerThanAPipeDoesNotDeadlock) {
  absl::StatusOr<CommandResult> result = RunCommand(
      {"sh", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out.size(), 300000u);
  EXPECT_EQ(result->err.size(), 300000u);
}

TEST(RunCommandTest, ASignalIs128PlusItsNumber) {
  absl::StatusOr<CommandResult> result = RunCommand({"sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 128 + 9);
}

TEST(RunCommandTest, AMissingProgramIsNotFound) {
  EXPECT_EQ(RunCommand({"/nonexistent/berth-test"}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RunCommand({}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth
