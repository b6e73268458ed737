#ifndef BERTH_SERVICES_RUNTIME_NAMESPACES_H_
#define BERTH_SERVICES_RUNTIME_NAMESPACES_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::runtime {

// The namespace kinds the runtime knows, as CLONE_NEW* flags.
const std::vector<int>& KnownNamespaceFlags();

// OCI's type name ("pid", "network", "mount", "ipc", "uts", "cgroup",
// "user") to its CLONE_NEW* flag. Unknown: InvalidArgument.
absl::StatusOr<int> NamespaceFlagFromOciType(absl::string_view type);

// The inverse; empty for an unknown flag.
absl::string_view OciNamespaceType(int clone_flag);

// The file under /proc/<pid>/ns/ ("pid", "net", "mnt", ...); empty for an
// unknown flag.
absl::string_view NamespaceProcName(int clone_flag);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_NAMESPACES_H_
