#ifndef BERTH_SERVICES_RUNTIME_OCI_CONFIG_H_
#define BERTH_SERVICES_RUNTIME_OCI_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/runtime/spec.h"

namespace berth::runtime {

// Reads the subset of an OCI runtime-spec config.json that Spec holds.
// root.path is taken relative to `bundle_dir` unless absolute; the
// resulting rootfs must be absolute. A present linux.seccomp (it must have
// a defaultAction) means "apply berth's default profile": the runtime does
// not interpret arbitrary profiles. Unknown fields are ignored; a field of
// the wrong type, an unknown capability, rlimit or namespace type is
// InvalidArgument naming the field.
absl::StatusOr<Spec> ParseOciConfig(absl::string_view json,
                                    absl::string_view bundle_dir);

// The inverse, for a bundle runc also runs: ociVersion 1.0.2, root.path
// set to `rootfs_path` as given (relative to the bundle or absolute), and
// for seccomp_default the default profile spelled out as a runc profile.
std::string WriteOciConfig(const Spec& spec, absl::string_view rootfs_path);

// "RLIMIT_NOFILE" <-> RLIMIT_NOFILE.
absl::StatusOr<int> ParseRlimitType(absl::string_view name);
absl::string_view RlimitTypeName(int resource);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_OCI_CONFIG_H_
