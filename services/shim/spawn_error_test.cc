#include "services/shim/spawn_error.h"

#include "gtest/gtest.h"

namespace berth::shim {
namespace {

TEST(SpawnErrorTest, ExitCodes) {
  EXPECT_EQ(SpawnFailureExitCode(absl::NotFoundError("x")), 127);
  EXPECT_EQ(SpawnFailureExitCode(absl::PermissionDeniedError("x")), 126);
  EXPECT_EQ(SpawnFailureExitCode(absl::FailedPreconditionError("x")), 126);
}

TEST(SpawnErrorTest, DockersExecLine) {
  EXPECT_EQ(ExecFailureLine(absl::NotFoundError(
                "exec: \"nosuch\": executable file not found in $PATH")),
            "OCI runtime exec failed: exec failed: unable to start container "
            "process: exec: \"nosuch\": executable file not found in $PATH: "
            "unknown\r\n");
}

// What runc 1.1 logs with --log-format json.
TEST(SpawnErrorTest, RuncNotFound) {
  absl::Status status = RuncErrorToStatus(
      R"({"level":"warning","msg":"something","time":"t"})"
      "\n"
      R"({"level":"error","msg":"runc create failed: unable to start container process: exec: \"nosuch\": executable file not found in $PATH","time":"t"})"
      "\n",
      "runc create");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "exec: \"nosuch\": executable file not found in $PATH");

  status = RuncErrorToStatus(
      R"({"level":"error","msg":"exec failed: unable to start container process: exec: \"/x/y\": stat /x/y: no such file or directory","time":"t"})",
      "runc exec");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "exec: \"/x/y\": stat /x/y: no such file or directory");
}

TEST(SpawnErrorTest, RuncPermissionDenied) {
  absl::Status status = RuncErrorToStatus(
      R"({"level":"error","msg":"exec failed: unable to start container process: exec: \"/etc\": permission denied","time":"t"})",
      "runc exec");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "exec: \"/etc\": permission denied");
}

TEST(SpawnErrorTest, RuncOtherFailures) {
  absl::Status status = RuncErrorToStatus(
      R"({"level":"error","msg":"container \"x\" does not exist","time":"t"})",
      "runc kill");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "container \"x\" does not exist");

  status = RuncErrorToStatus("plain text\n", "runc start");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "plain text");

  status = RuncErrorToStatus("", "runc start");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "runc start failed without a message");
}

}  // namespace
}  // namespace berth::shim
