#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_COMMIT_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_COMMIT_H_

#include "absl/status/statusor.h"
#include "proto/container.pb.h"
#include "services/daemon/containers/container_core.h"
#include "services/daemon/containers/container_fs.h"
#include "services/daemon/images/image_core.h"

namespace berth {

// docker commit, the container half: holds the container's filesystem
// (pausing a running container when asked, as dockerd does by default),
// and hands its changes and config to ImageCore::Commit, which makes the
// image. A config_json that is not JSON is InvalidArgument.
absl::StatusOr<v1::CommitReply> CommitContainer(
    ContainerCore& containers, ContainerFs& fs, ImageCore& images,
    const v1::CommitRequest& request);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_COMMIT_H_
