#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_MOUNTS_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_MOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/container.pb.h"

namespace berth {

// The container's bind and volume mounts as Docker resolves them at
// create, in the order given: `-v SRC:DST[:OPTS]` (SRC absolute: a bind;
// otherwise a named volume), `--mount type=bind|volume`, then an anonymous
// volume for each of `volume_paths` (`-v /path` and the image's VOLUMEs)
// that nothing else mounts. Volumes come back with their name (empty for
// an anonymous one) and no source: the caller acquires them. tmpfs mounts
// stay in the host config. InvalidArgument, in Docker's words, for a
// malformed spec, a relative destination or a destination given twice.
absl::StatusOr<std::vector<v1::MountPoint>> ResolveMounts(
    const v1::HostConfig& host, const std::vector<std::string>& volume_paths);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_MOUNTS_H_
