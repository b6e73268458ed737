#ifndef BERTH_SERVICES_SHIM_NATIVE_DRIVER_H_
#define BERTH_SERVICES_SHIM_NATIVE_DRIVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "services/runtime/cgroup.h"
#include "services/shim/runtime_driver.h"

namespace berth::shim {

// berth's own runtime (services/runtime), in the shim's process: the
// container's init is the shim's child, an exec is reparented to it.
class NativeDriver : public RuntimeDriver {
 public:
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

 private:
  pid_t pid_ = -1;
  std::string cgroups_path_;
  // runc applies the container's seccomp profile to an exec too.
  bool seccomp_default_ = false;
  std::unique_ptr<runtime::Cgroup> cgroup_;
};

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_NATIVE_DRIVER_H_
