#ifndef BERTH_SERVICES_SHIM_RUNTIME_DRIVER_H_
#define BERTH_SERVICES_SHIM_RUNTIME_DRIVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"
#include "services/runtime/spec.h"
#include "services/shim/shim_config.h"

namespace berth::shim {

// The stdio a new process gets.
struct SpawnStdio {
  // A pty, made by the driver: its master comes back in Spawned.
  bool terminal = false;
  // Without a terminal: the fds that become the process's 0, 1 and 2
  // (the caller keeps them); -1 is /dev/null.
  int in = -1;
  int out = -1;
  int err = -1;
};

struct Spawned {
  pid_t pid = -1;
  UniqueFd pty_master;  // with a terminal
};

// What runs the container for the shim: berth's native runtime in the
// shim's own process, or runc. Either way every process it starts ends up
// the shim's child (it is a child subreaper), and the shim reaps it.
// A process that cannot start is NotFound (no such executable: 127),
// PermissionDenied (not executable: 126) or another code, with the
// native runtime's message (spawn_error.h).
class RuntimeDriver {
 public:
  virtual ~RuntimeDriver() = default;

  // Starts the container of BUNDLE/config.json (parsed as `spec`).
  virtual absl::StatusOr<Spawned> Start(const runtime::Spec& spec,
                                        const SpawnStdio& stdio) = 0;
  // `docker exec`: runs `process`, read from `process_file` (runc reads
  // the file itself), in the running container.
  virtual absl::StatusOr<Spawned> Exec(const std::string& exec_id,
                                       const std::string& process_file,
                                       const runtime::Process& process,
                                       const SpawnStdio& stdio) = 0;
  virtual absl::Status Kill(int signo) = 0;
  virtual absl::Status Pause() = 0;
  virtual absl::Status Resume() = 0;
  // Whether the kernel's OOM killer struck in the container's cgroup.
  virtual bool OomKilled() = 0;
  // After the container and every exec exited: removes what the runtime
  // left (the cgroup, runc's state).
  virtual void Cleanup() = 0;
};

// The driver shim.json's "runtime" names ("native" or "oci").
std::unique_ptr<RuntimeDriver> MakeRuntimeDriver(const std::string& bundle,
                                                 const ShimConfig& config);

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_RUNTIME_DRIVER_H_
