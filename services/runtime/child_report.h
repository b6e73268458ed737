#ifndef BERTH_SERVICES_RUNTIME_CHILD_REPORT_H_
#define BERTH_SERVICES_RUNTIME_CHILD_REPORT_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::runtime {

// How a container child that failed before execve tells its parent why:
// one fixed-size record over a CLOEXEC pipe, so that a successful execve
// reads as EOF and the child never allocates to report.

enum class ChildStage : int32_t {
  kNone = 0,
  kSync,        // waiting for the parent
  kNamespaces,  // setns/unshare
  kStdio,       // dup2 of the caller's fds, controlling terminal
  kRootfs,      // making the rootfs a mount point, pivot_root
  kMount,       // one of spec.mounts
  kDevices,     // /dev nodes and symlinks
  kMaskedPaths,
  kReadonlyPaths,
  kHostname,
  kRlimits,
  kOomScoreAdj,
  kUser,     // setgroups/setgid/setuid
  kWorkdir,  // creating or entering process.cwd
  kCapabilities,
  kNoNewPrivileges,
  kSeccomp,
  kSignals,
  kFork,          // SpawnInContainer's second fork
  kExecNotFound,  // nothing to run under that name
  kExecDenied,    // found, but not executable (or a directory)
  kExec,          // execve failed otherwise
};

struct ChildReport {
  int32_t stage = 0;
  int32_t err = 0;         // errno, 0 if none
  char detail[1000] = {};  // what was being done, naming the path
};

// Async-signal-safe: fills `report` (printf-style detail, truncated).
void SetChildReport(ChildReport* report, ChildStage stage, int err,
                    const char* format, ...)
    __attribute__((format(printf, 4, 5)));

// Async-signal-safe: writes the record (a pipe write of this size is
// atomic).
void SendChildReport(int fd, const ChildReport& report);

// Reads one record: nullopt on EOF without one, i.e. after a successful
// execve (or a child that died without a word).
absl::StatusOr<std::optional<ChildReport>> ReadChildReport(int fd);

// The status SpawnContainer returns for a report: NotFound and
// PermissionDenied for exec (Docker's 127 and 126), InvalidArgument for
// EINVAL, FailedPrecondition for what the spec asked but the system could
// not do.
absl::Status ChildReportToStatus(const ChildReport& report);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_CHILD_REPORT_H_
