#ifndef BERTH_SERVICES_SHIM_SPAWN_ERROR_H_
#define BERTH_SERVICES_SHIM_SPAWN_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace berth::shim {

// How a process that could not start is reported, the same whichever
// runtime tried: the native runtime's statuses are the reference
// (services/runtime/container.h), runc's errors are mapped onto them.

// The exit code Docker records for it: 127 when the executable was not
// found, 126 for anything else (not executable, a directory, ...).
int SpawnFailureExitCode(const absl::Status& status);

// What `docker exec` prints when the process could not start, as one line:
// "OCI runtime exec failed: exec failed: unable to start container
// process: MESSAGE: unknown\r\n".
std::string ExecFailureLine(const absl::Status& status);

// runc's failure as the native runtime would have said it. `log` is what
// runc wrote with `--log-format json` (one JSON object a line; the last
// "error" one says why); anything else is taken as plain text. runc's
// prefixes up to "unable to start container process: " are dropped, so
// that `exec: "nosuch": executable file not found in $PATH` is NotFound
// and `exec: "/etc": permission denied` PermissionDenied as natively;
// anything else is FailedPrecondition with runc's message, prefixed by
// `what` when runc said nothing.
absl::Status RuncErrorToStatus(absl::string_view log, absl::string_view what);

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_SPAWN_ERROR_H_
