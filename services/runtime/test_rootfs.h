#ifndef BERTH_SERVICES_RUNTIME_TEST_ROOTFS_H_
#define BERTH_SERVICES_RUNTIME_TEST_ROOTFS_H_

#include <string>

#include "absl/status/status.h"

namespace berth::runtime::testing {

// Where busybox-static is on these machines.
inline constexpr char kBusybox[] = "/bin/busybox";

// A minimal rootfs in `dir` (which must exist): bin/busybox with a symlink
// per applet the tests use, etc/passwd (root, user 1000 "user"),
// etc/group, and empty proc, dev, sys, tmp, mnt.
absl::Status MakeBusyboxRootfs(const std::string& dir);

}  // namespace berth::runtime::testing

#endif  // BERTH_SERVICES_RUNTIME_TEST_ROOTFS_H_
