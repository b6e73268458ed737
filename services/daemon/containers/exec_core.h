#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_EXEC_CORE_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_EXEC_CORE_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/container.pb.h"
#include "services/daemon/containers/container_core.h"

namespace berth {

// `docker exec`: exec instances of running containers. The container's
// shim runs each one (see services/shim/shim_protocol.h): the daemon
// writes the process to the bundle and the shim spawns it when a client
// asks, streams its stdio on that connection and leaves its pid and exit
// code in the bundle, read back here. Instances live until their
// container is removed. Thread-safe.
class ExecCore {
 public:
  explicit ExecCore(ContainerCore* containers);

  // Conflict (Aborted) unless the container runs and is not paused.
  absl::StatusOr<v1::ExecCreateReply> Create(
      const v1::ExecCreateRequest& request);
  // Writes the process for the shim. Detached: has the shim run it now.
  // Attached: answers the socket and the line that runs it with this
  // connection as its stdio (the gateway sends it after hijacking).
  absl::StatusOr<v1::ExecStartReply> Start(const v1::ExecStartRequest& request);
  absl::StatusOr<v1::ExecDetail> Inspect(const std::string& exec_id);
  absl::Status Resize(const v1::ExecResizeRequest& request);

 private:
  struct Exec {
    v1::ExecDetail detail;
    bool started = false;
    // Set once started: where the shim leaves its files.
    std::string bundle;
    std::string socket;
  };

  absl::StatusOr<std::shared_ptr<Exec>> Find(const std::string& exec_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Picks up the pid and exit code the shim wrote.
  void Refresh(Exec& exec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnRuntimeEnd(const std::string& container_id, bool removed);

  ContainerCore* const containers_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Exec>> execs_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_EXEC_CORE_H_
