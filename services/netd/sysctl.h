#ifndef BERTH_SERVICES_NETD_SYSCTL_H_
#define BERTH_SERVICES_NETD_SYSCTL_H_

#include <string>

#include "absl/status/status.h"

namespace berth::netd {

// Kernel settings under /proc/sys; the network ones belong to the
// writer's network namespace.
class Sysctl {
 public:
  virtual ~Sysctl() = default;
  // `key` as sysctl(8) spells it: "net.ipv4.ip_forward".
  virtual absl::Status Set(const std::string& key,
                           const std::string& value) = 0;
};

class ProcSysctl final : public Sysctl {
 public:
  absl::Status Set(const std::string& key, const std::string& value) override;
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_SYSCTL_H_
