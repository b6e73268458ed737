#ifndef BERTH_SERVICES_NETD_IPAM_SUBNET_PICKER_H_
#define BERTH_SERVICES_NETD_IPAM_SUBNET_PICKER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "services/netd/ipam/ipv4.h"

namespace berth::netd {

// The networks berth tries, in order, for its bridge when --bip is not
// given: 172.17.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/20 ...
// 192.168.240.0/20 (Docker's default address pools).
std::vector<Ipv4Prefix> DefaultBridgeCandidates();

// The first candidate that overlaps none of `in_use` (the netns' routes
// and addresses; default routes, 0.0.0.0/0, are ignored), returned as the
// bridge's address: the network's first host, e.g. 172.17.0.1/16.
// FailedPrecondition naming --bip when every candidate is taken.
absl::StatusOr<Ipv4Prefix> PickBridgeAddress(
    const std::vector<Ipv4Prefix>& candidates,
    const std::vector<Ipv4Prefix>& in_use);

}  // namespace berth::netd

#endif  // BERTH_SERVICES_NETD_IPAM_SUBNET_PICKER_H_
