#include "services/netd/ipam/subnet_picker.h"

#include "absl/strings/str_cat.h"

namespace berth::netd {

std::vector<Ipv4Prefix> DefaultBridgeCandidates() {
  std::vector<Ipv4Prefix> candidates;
  for (uint32_t second = 17; second <= 31; ++second) {
    candidates.emplace_back(Ipv4((172u << 24) | (second << 16)), 16);
  }
  for (uint32_t third = 0; third < 256; third += 16) {
    candidates.emplace_back(Ipv4((192u << 24) | (168u << 16) | (third << 8)),
                            20);
  }
  return candidates;
}

absl::StatusOr<Ipv4Prefix> PickBridgeAddress(
    const std::vector<Ipv4Prefix>& candidates,
    const std::vector<Ipv4Prefix>& in_use) {
  for (const Ipv4Prefix& candidate : candidates) {
    Ipv4Prefix network = candidate.Network();
    bool free = true;
    for (const Ipv4Prefix& used : in_use) {
      if (used.length() == 0) continue;  // a default route
      if (network.Overlaps(used.Network())) {
        free = false;
        break;
      }
    }
    if (free)
      return Ipv4Prefix(Ipv4(network.First().value() + 1), network.length());
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "could not find a free network for the bridge: all ", candidates.size(),
      " candidates overlap a route; choose one with --bip"));
}

}  // namespace berth::netd
