#include "services/runtime/child_report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"

namespace berth::runtime {

static_assert(sizeof(ChildReport) <= PIPE_BUF,
              "a report must fit one atomic pipe write");

void SetChildReport(ChildReport* report, ChildStage stage, int err,
                    const char* format, ...) {
  report->stage = static_cast<int32_t>(stage);
  report->err = err;
  va_list args;
  va_start(args, format);
  vsnprintf(report->detail, sizeof(report->detail), format, args);
  va_end(args);
}

void SendChildReport(int fd, const ChildReport& report) {
  ssize_t n;
  do {
    n = write(fd, &report, sizeof(report));
  } while (n < 0 && errno == EINTR);
}

absl::StatusOr<std::optional<ChildReport>> ReadChildReport(int fd) {
  ChildReport report;
  size_t got = 0;
  while (got < sizeof(report)) {
    ssize_t n =
        read(fd, reinterpret_cast<char*>(&report) + got, sizeof(report) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "read the container's error pipe");
    if (n == 0) break;
    got += n;
  }
  if (got == 0) return std::optional<ChildReport>();
  if (got != sizeof(report)) {
    return absl::InternalError("truncated report from the container child");
  }
  report.detail[sizeof(report.detail) - 1] = '\0';
  return std::optional<ChildReport>(report);
}

absl::Status ChildReportToStatus(const ChildReport& report) {
  std::string message = report.detail;
  if (report.err != 0) absl::StrAppend(&message, ": ", strerror(report.err));
  switch (static_cast<ChildStage>(report.stage)) {
    case ChildStage::kExecNotFound:
      return absl::NotFoundError(report.detail);
    case ChildStage::kExecDenied:
      return absl::PermissionDeniedError(report.detail);
    case ChildStage::kSync:
    case ChildStage::kFork:
    case ChildStage::kSignals:
      return absl::InternalError(message);
    default:
      break;
  }
  if (report.err == EINVAL) return absl::InvalidArgumentError(message);
  return absl::FailedPreconditionError(message);
}

}  // namespace berth::runtime
