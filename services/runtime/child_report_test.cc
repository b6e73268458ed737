#include "services/runtime/child_report.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace berth::runtime {
namespace {

ChildReport Report(ChildStage stage, int err, const char* detail) {
  ChildReport report;
  SetChildReport(&report, stage, err, "%s", detail);
  return report;
}

TEST(ChildReportTest, ExecErrorsCarryDockersText) {
  absl::Status not_found = ChildReportToStatus(
      Report(ChildStage::kExecNotFound, ENOENT,
             "exec: \"nope\": executable file not found in $PATH"));
  EXPECT_EQ(not_found.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(not_found.message(),
            "exec: \"nope\": executable file not found in $PATH");
  absl::Status denied = ChildReportToStatus(Report(
      ChildStage::kExecDenied, EACCES, "exec: \"/etc\": permission denied"));
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "exec: \"/etc\": permission denied");
}

TEST(ChildReportTest, OtherStagesAppendTheErrno) {
  absl::Status mount =
      ChildReportToStatus(Report(ChildStage::kMount, ENOENT, "mount x on /y"));
  EXPECT_EQ(mount.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(mount.message(), "mount x on /y: No such file or directory");
  EXPECT_EQ(ChildReportToStatus(Report(ChildStage::kMount, EINVAL, "m")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ChildReportToStatus(Report(ChildStage::kFork, EAGAIN, "fork")).code(),
      absl::StatusCode::kInternal);
}

TEST(ChildReportTest, TravelsThroughAPipe) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  SendChildReport(fds[1], Report(ChildStage::kWorkdir, ENOTDIR, "chdir"));
  close(fds[1]);
  absl::StatusOr<std::optional<ChildReport>> report = ReadChildReport(fds[0]);
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->has_value());
  EXPECT_EQ((*report)->stage, static_cast<int32_t>(ChildStage::kWorkdir));
  EXPECT_EQ((*report)->err, ENOTDIR);
  EXPECT_STREQ((*report)->detail, "chdir");
  absl::StatusOr<std::optional<ChildReport>> eof = ReadChildReport(fds[0]);
  ASSERT_TRUE(eof.ok());
  EXPECT_FALSE(eof->has_value());
  close(fds[0]);
}

TEST(ChildReportTest, LongDetailIsTruncatedNotOverflowed) {
  std::string long_path(5000, 'a');
  ChildReport report;
  SetChildReport(&report, ChildStage::kMount, 0, "%s", long_path.c_str());
  EXPECT_EQ(strlen(report.detail), sizeof(report.detail) - 1);
}

}  // namespace
}  // namespace berth::runtime
