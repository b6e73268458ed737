#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_TOP_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_TOP_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/container.pb.h"
#include "services/daemon/containers/container_core.h"

namespace berth {

// `docker top CONTAINER [ps OPTIONS]`: Aborted (409) unless it runs.
absl::StatusOr<v1::TopReply> TopContainer(ContainerCore& core,
                                          const v1::TopRequest& request);

// `docker top`: runs the host's ps(1) with `ps_args` ("-ef" when empty)
// and keeps the rows of `pids` (the container's cgroup), as dockerd does.
// InvalidArgument for options ps refuses, with its message.
absl::StatusOr<v1::TopReply> ListContainerProcesses(
    const std::vector<pid_t>& pids, const std::string& ps_args);

// The parsing half: the header's fields are the titles; the last title's
// column takes the rest of each row (a command line has spaces).
absl::StatusOr<v1::TopReply> ParsePsOutput(const std::string& output,
                                           const std::vector<pid_t>& pids);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_TOP_H_
