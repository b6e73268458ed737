#ifndef BERTH_SERVICES_DAEMON_GRAPHDRIVER_MOUNT_OPS_H_
#define BERTH_SERVICES_DAEMON_GRAPHDRIVER_MOUNT_OPS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth {

// Every mount and unmount syscall goes through this interface, so that the
// logic around them is unit-testable without root.
class MountOps {
 public:
  virtual ~MountOps() = default;
  // mount(2).
  virtual absl::Status Mount(const std::string& source,
                             const std::string& target,
                             const std::string& fstype, unsigned long flags,
                             const std::string& data) = 0;
  // umount2(2). Not a mount point: InvalidArgument (EINVAL).
  virtual absl::Status Unmount(const std::string& target, int flags) = 0;
};

// The real syscalls.
class SystemMountOps : public MountOps {
 public:
  absl::Status Mount(const std::string& source, const std::string& target,
                     const std::string& fstype, unsigned long flags,
                     const std::string& data) override;
  absl::Status Unmount(const std::string& target, int flags) override;
};

// The mount points of this process's mount namespace, in mount order, from
// /proc/self/mountinfo (octal escapes decoded).
absl::StatusOr<std::vector<std::string>> ListMountPoints();

// Whether `path` (resolved with realpath when it exists) is a mount point.
// A missing path is not.
absl::StatusOr<bool> IsMountPoint(const std::string& path);

// Lazily unmounts everything mounted at or under `dir`, deepest first.
absl::Status UnmountAllUnder(const std::string& dir, MountOps& ops);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_GRAPHDRIVER_MOUNT_OPS_H_
