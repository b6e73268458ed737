#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_STATS_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_STATS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/container.pb.h"
#include "services/daemon/containers/container_core.h"

namespace berth {

// The CPU time the host has spent, all CPUs together, from /proc/stat's
// "cpu" line: Docker's system_cpu_usage, against which the CLI weighs a
// container's usage.
absl::StatusOr<uint64_t> ParseSystemCpuNs(absl::string_view proc_stat);

// `docker stats`: samples the container's cgroup once a second and sends
// each sample; a container that is not running gives zeroed samples, as
// dockerd does. Without `stream`, sends two samples a second apart (the
// first is the CLI's "precpu") unless `one_shot`, then one.
absl::Status StreamStats(ContainerCore& core, const v1::StatsRequest& request,
                         const std::function<bool(const v1::StatsReply&)>& send,
                         const std::function<bool()>& cancelled);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_STATS_H_
