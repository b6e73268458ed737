#ifndef BERTH_SERVICES_RUNTIME_DEFAULTS_H_
#define BERTH_SERVICES_RUNTIME_DEFAULTS_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "services/runtime/spec.h"

namespace berth::runtime {

// What Docker puts in every container's spec, for the daemon to start
// from and for tests.

// $PATH when the container's env has none (Docker's and runc's).
inline constexpr absl::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// /proc, /dev (tmpfs), /dev/pts, /sys (ro), /sys/fs/cgroup (ro),
// /dev/mqueue, /dev/shm: Docker's default mounts with Docker's options.
std::vector<Mount> DefaultMounts();

std::vector<std::string> DefaultMaskedPaths();
std::vector<std::string> DefaultReadonlyPaths();

// pid, network, ipc, uts, mount: new ones.
std::vector<NamespaceSpec> DefaultNamespaces();

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_DEFAULTS_H_
