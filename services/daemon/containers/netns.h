#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_NETNS_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_NETNS_H_

#include <string>

#include "absl/status/status.h"

namespace berth {

// A container's network namespace, made before it starts and pinned by a
// bind mount at `path` (as `ip netns` does), so that the network driver
// can set it up and the container joins it. It starts with loopback up and
// nothing else: never the host's network.
absl::Status CreateNetns(const std::string& path);

// Unpins and removes it; missing is fine.
absl::Status RemoveNetns(const std::string& path);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_NETNS_H_
