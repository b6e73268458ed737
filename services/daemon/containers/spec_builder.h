#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_SPEC_BUILDER_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_SPEC_BUILDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/container.pb.h"
#include "services/runtime/spec.h"

namespace berth {

// Where a starting container's pieces are on the host.
struct ContainerPaths {
  std::string rootfs;
  std::string hostname_file;
  std::string hosts_file;
  std::string resolv_conf_file;
  // The network namespace to join (its own, or another container's);
  // empty when it shares the host's (--network host).
  std::string netns;
  std::string cgroups_path;
  // Host path of tini for --init.
  std::string init_binary;
  // --link's variables, which the container's own env overrides.
  std::vector<std::string> link_env;
};

// The runtime spec Docker would give this container: the process from the
// merged config, the standard mounts (/proc, /dev, /dev/pts, /dev/shm,
// /dev/mqueue, /sys, /sys/fs/cgroup) plus binds, volumes and tmpfs, the
// masked and read-only paths, Docker's default capabilities adjusted by
// --cap-add/--cap-drop, the default seccomp profile, cgroup limits and
// rlimits. InvalidArgument for a flag value that cannot work.
absl::StatusOr<runtime::Spec> BuildSpec(const v1::ContainerDetail& container,
                                        const ContainerPaths& paths);

// The process `docker exec` runs in the container: the container's own
// settings (env, user, workdir, capabilities, seccomp, rlimits) with the
// exec's on top; `rootfs` is where the running container's root is
// mounted, for resolving the user.
absl::StatusOr<runtime::Process> BuildExecProcess(
    const v1::ContainerDetail& container, const v1::ExecConfig& exec,
    const std::string& rootfs);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_SPEC_BUILDER_H_
