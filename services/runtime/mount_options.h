#ifndef BERTH_SERVICES_RUNTIME_MOUNT_OPTIONS_H_
#define BERTH_SERVICES_RUNTIME_MOUNT_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::runtime {

// An OCI mount's options split the way mount(2) needs them.
struct MountOptions {
  unsigned long flags = 0;        // MS_* for the mount call itself
  unsigned long propagation = 0;  // MS_PRIVATE|MS_REC, ...: a second call
  std::string data;               // filesystem options: "mode=755,size=65536k"
};

// Known flag words ("ro", "nosuid", "rbind", "relatime", "rprivate", ...)
// become flags; their negations ("rw", "suid", "exec", ...) clear them;
// anything else ("mode=755", "newinstance", "gid=5") is passed to the
// filesystem as data, in order. An empty option is InvalidArgument.
absl::StatusOr<MountOptions> ParseMountOptions(
    const std::vector<std::string>& options);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_MOUNT_OPTIONS_H_
