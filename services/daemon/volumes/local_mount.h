#ifndef BERTH_SERVICES_DAEMON_VOLUMES_LOCAL_MOUNT_H_
#define BERTH_SERVICES_DAEMON_VOLUMES_LOCAL_MOUNT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/daemon/graphdriver/mount_ops.h"

namespace berth {

// Mounts `device` of filesystem `type` on `target` with the options `o`,
// as Docker's local driver does for a volume created with
// `-o type=T -o device=D -o o=O`. A bind mount with flags (ro, nosuid...)
// gets the remount those need (the kernel ignores them on the bind
// itself); propagation is set last. `o` is split as mount(8) splits it
// (runtime::ParseMountOptions): generic words become flags, the rest
// (size=64m, uid=1000, addr=...) the filesystem's data. On failure
// nothing stays mounted.
absl::Status MountLocal(MountOps& ops, const std::string& device,
                        const std::string& target, const std::string& type,
                        absl::string_view o);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_VOLUMES_LOCAL_MOUNT_H_
