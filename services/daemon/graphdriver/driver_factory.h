#ifndef BERTH_SERVICES_DAEMON_GRAPHDRIVER_DRIVER_FACTORY_H_
#define BERTH_SERVICES_DAEMON_GRAPHDRIVER_DRIVER_FACTORY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/daemon/graphdriver/driver.h"
#include "services/daemon/graphdriver/mount_ops.h"

namespace berth {

// Opens the graph driver `name` ("overlay", "vfs"; "overlay2" is taken as
// "overlay"; "" picks the driver an existing root was made with, else
// overlay where OverlaySupported, else vfs) on `root`
// (<data-root>/graph, absolute), with `options` from --storage-opt
// (KEY=VALUE; neither driver takes any yet).
//
// Like dockerd, a root remembers its driver (<root>/driver, or an existing
// <root>/overlay or <root>/vfs dir): asking for another one is
// FailedPrecondition naming both and the way out. "overlay" where the
// kernel or filesystem cannot do it is FailedPrecondition saying why. An
// unknown driver name, a malformed option or an unknown option key is
// InvalidArgument.
absl::StatusOr<std::unique_ptr<GraphDriver>> NewGraphDriver(
    const std::string& name, const std::string& root,
    const std::vector<std::string>& options);

// The same with `mount_ops` for the overlay driver and its support probe
// instead of the real syscalls (tests).
absl::StatusOr<std::unique_ptr<GraphDriver>> NewGraphDriver(
    const std::string& name, const std::string& root,
    const std::vector<std::string>& options,
    std::unique_ptr<MountOps> mount_ops);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_GRAPHDRIVER_DRIVER_FACTORY_H_
