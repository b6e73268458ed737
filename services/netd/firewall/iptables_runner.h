#ifndef BERTH_SERVICES_NETD_FIREWALL_IPTABLES_RUNNER_H_
#define BERTH_SERVICES_NETD_FIREWALL_IPTABLES_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/subprocess.h"

namespace berth::netd {

// How IptablesFirewall reaches the kernel: the iptables programs, run in
// the caller's network namespace. Tests give it a fake.
class IptablesRunner {
 public:
  virtual ~IptablesRunner() = default;

  // `iptables -w ARGS...`: its result, whatever its exit status.
  virtual absl::StatusOr<CommandResult> Iptables(
      const std::vector<std::string>& args) = 0;

  // `iptables-restore -w --noflush` fed `input`: the tables it names
  // change at once or not at all. An error carries iptables' message.
  virtual absl::Status Restore(const std::string& input) = 0;
};

// The real programs, through RunCommand. iptables-restore reads its input
// from a memfd named by /proc/<pid>/fd/N, since RunCommand gives children
// no stdin; nothing is written to disk.
class CommandIptablesRunner final : public IptablesRunner {
 public:
  absl::StatusOr<CommandResult> Iptables(
      const std::vector<std::string>& args) override;
  absl::Status Restore(const std::string& input) override;
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_FIREWALL_IPTABLES_RUNNER_H_
