#ifndef BERTH_SERVICES_SHIM_PTY_H_
#define BERTH_SERVICES_SHIM_PTY_H_

#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"

namespace berth::shim {

// A new pseudo-terminal from the host's /dev/ptmx, both ends close-on-exec
// and not the caller's controlling terminal: the native runtime gives the
// slave to the process as its stdio, the shim keeps the master.
struct Pty {
  UniqueFd master;
  UniqueFd slave;
};

absl::StatusOr<Pty> OpenPty();

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_PTY_H_
