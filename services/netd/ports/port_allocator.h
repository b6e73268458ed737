#ifndef BERTH_SERVICES_NETD_PORTS_PORT_ALLOCATOR_H_
#define BERTH_SERVICES_NETD_PORTS_PORT_ALLOCATOR_H_

#include <set>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/netd/ipam/ipv4.h"
#include "services/netd/ports/port_mapping.h"

namespace berth::netd {

struct PortRange {
  int first = 0;
  int last = 0;
};

// The kernel's ephemeral range, "first<TAB>last" in
// /proc/sys/net/ipv4/ip_local_port_range (of the caller's netns).
absl::StatusOr<PortRange> ReadEphemeralPortRange(
    const std::string& path = "/proc/sys/net/ipv4/ip_local_port_range");

// Host ports, per protocol. A port taken on 0.0.0.0 is taken on every
// address, and a port taken on any address is taken for 0.0.0.0, since
// such binds would collide in the kernel. Thread-safe.
class PortAllocator {
 public:
  explicit PortAllocator(PortRange ephemeral);

  // `port`, or with 0 the next free port of the ephemeral range after the
  // last one handed out (wrapping). A taken port is AlreadyExists with
  // Docker's message "Bind for 0.0.0.0:8080 failed: port is already
  // allocated"; a full range is ResourceExhausted.
  absl::StatusOr<int> Allocate(Protocol protocol, Ipv4 host_ip, int port);

  // Frees it; unknown is fine.
  void Release(Protocol protocol, Ipv4 host_ip, int port);

  PortRange ephemeral() const { return ephemeral_; }

 private:
  bool TakenLocked(Protocol protocol, Ipv4 host_ip, int port) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PortRange ephemeral_;
  mutable absl::Mutex mu_;
  // (protocol, port, host ip) of every port held.
  std::set<std::tuple<Protocol, int, Ipv4>> taken_ ABSL_GUARDED_BY(mu_);
  int last_[2] ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_PORTS_PORT_ALLOCATOR_H_
