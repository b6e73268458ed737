#ifndef BERTH_SERVICES_SHIM_RUNC_DRIVER_H_
#define BERTH_SERVICES_SHIM_RUNC_DRIVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "services/runtime/cgroup.h"
#include "services/shim/runtime_driver.h"

namespace berth::shim {

// Drives runc (the "oci" runtime) with the bundle as it is:
//   runc --root R create --bundle BUNDLE --pid-file BUNDLE/init.pid
//        [--console-socket S] ID; runc start ID
//   runc exec --process BUNDLE/exec/EXECID.json --detach --pid-file P
//        [--console-socket S] ID
//   runc kill ID SIGNO, runc pause|resume ID, runc delete --force ID.
// Without a terminal the process inherits the stdio runc is given. With
// one, runc makes the pty inside the container and sends its master on S
// (BUNDLE/console.sock). runc runs in the bundle directory and logs JSON
// to a memfd, which says why it failed (spawn_error.h maps it). Each call
// is synchronous: the shim's loop waits for runc.
class RuncDriver : public RuntimeDriver {
 public:
  RuncDriver(std::string bundle, const ShimConfig& config);
  ~RuncDriver() override;

  absl::StatusOr<Spawned> Start(const runtime::Spec& spec,
                                const SpawnStdio& stdio) override;
  absl::StatusOr<Spawned> Exec(const std::string& exec_id,
                               const std::string& process_file,
                               const runtime::Process& process,
                               const SpawnStdio& stdio) override;
  absl::Status Kill(int signo) override;
  absl::Status Pause() override;
  absl::Status Resume() override;
  bool OomKilled() override;
  void Cleanup() override;

  // runc's --root: config.runc_root, or BUNDLE/../../runc (the exec
  // root's runc directory: bundles are EXEC_ROOT/containers/ID).
  static std::string StateRoot(const std::string& bundle,
                               const ShimConfig& config);

 private:
  struct Result {
    int exit_code = 0;
    std::string log;  // what runc logged (JSON lines)
  };

  // Runs `runc --root R --log ... ARGS` with `stdio` (-1: /dev/null) in
  // the bundle directory and waits for it.
  absl::StatusOr<Result> Run(const std::vector<std::string>& args,
                             const SpawnStdio& stdio);
  // Runs a command whose only product is success: its failure as a
  // status.
  absl::Status RunSimple(const std::vector<std::string>& args);
  absl::StatusOr<pid_t> ReadPidFile(const std::string& path);

  std::string bundle_;
  std::string id_;
  std::string runc_path_;
  std::string root_;
  UniqueFd log_;
  UniqueFd null_;
  bool created_ = false;
  std::unique_ptr<runtime::Cgroup> cgroup_;  // for OomKilled only
};

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_RUNC_DRIVER_H_
