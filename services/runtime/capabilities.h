#ifndef BERTH_SERVICES_RUNTIME_CAPABILITIES_H_
#define BERTH_SERVICES_RUNTIME_CAPABILITIES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::runtime {

// The highest capability number this library knows (CAP_CHECKPOINT_RESTORE).
inline constexpr int kMaxCapability = 40;

// "CAP_CHOWN" for 0; empty for a number outside 0..kMaxCapability.
absl::string_view CapabilityName(int cap);

// "NET_ADMIN", "CAP_NET_ADMIN" or "cap_net_admin". "ALL" is a set, not a
// capability: see ParseCapabilities.
absl::StatusOr<int> ParseCapability(absl::string_view name);

// Names as above, or "ALL" for every capability. Sorted, no duplicates.
absl::StatusOr<std::vector<int>> ParseCapabilities(
    const std::vector<std::string>& names);

// Every capability this process can hand on: 0..kMaxCapability less what
// is missing from its bounding set (a host that runs berth inside a
// container may lack some), as dockerd computes "ALL" and --privileged.
std::vector<int> AllCapabilities();

// The set Docker grants a container by default.
std::vector<int> DockerDefaultCapabilities();

// Docker's --cap-add/--cap-drop on top of `base`: "ALL" in `adds` grants
// everything, "ALL" in `drops` starts from nothing; adds win over drops.
absl::StatusOr<std::vector<int>> TweakCapabilities(
    const std::vector<int>& base, const std::vector<std::string>& adds,
    const std::vector<std::string>& drops);

// One bit per capability; numbers outside 0..63 are ignored.
uint64_t CapabilityMask(const std::vector<int>& caps);

// The running kernel's highest capability (/proc/sys/kernel/cap_last_cap),
// or kMaxCapability when it cannot be read.
int LastCapability();

// Async-signal-safe core of ApplyCapabilities, for a freshly cloned child
// that must not allocate: returns 0 or an errno value. Call it as root, or
// after a setuid made with PR_SET_KEEPCAPS set, so that the permitted set
// still holds CAP_SETPCAP.
int ApplyCapabilityMask(uint64_t mask, int last_cap);

// Drops every capability not in `caps` from the bounding set, clears the
// ambient and inheritable sets, and sets effective and permitted to `caps`
// when the effective uid is 0 and to nothing otherwise (as Docker does for
// a non-root user, who keeps `caps` in the bounding set only).
absl::Status ApplyCapabilities(const std::vector<int>& caps);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_CAPABILITIES_H_
