#ifndef BERTH_SERVICES_DAEMON_VOLUMES_LOCAL_MOUNT_H_
#define BERTH_SERVICES_DAEMON_VOLUMES_LOCAL_MOUNT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/daemon/graphdriver/mount_ops.h"

namespace berth {

// The `o` option of a `local` volume split the way mount(8) splits it:
// the generic words (ro, nosuid, bind, ...) become mount(2) flags, the
// propagation words (shared, rslave, ...) a separate call's flags, and the
// rest (size=64m, uid=1000, addr=...) the filesystem's data string.
struct LocalMountOptions {
  unsigned long flags = 0;
  unsigned long propagation = 0;
  std::string data;
};

LocalMountOptions ParseLocalMountOptions(absl::string_view o);

// Mounts `device` of filesystem `type` on `target` with the options `o`,
// as Docker's local driver does for a volume created with
// `-o type=T -o device=D -o o=O`. A bind mount with flags (ro, nosuid...)
// gets the remount those need (the kernel ignores them on the bind
// itself); propagation is set last. On failure nothing stays mounted.
absl::Status MountLocal(MountOps& ops, const std::string& device,
                        const std::string& target, const std::string& type,
                        absl::string_view o);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_VOLUMES_LOCAL_MOUNT_H_
