#ifndef BERTH_SERVICES_SHIM_SHIM_CONFIG_H_
#define BERTH_SERVICES_SHIM_SHIM_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::shim {

// BUNDLE/shim.json: how the shim holds the container's stdio and logs.
// The container itself is described by BUNDLE/config.json (OCI).
struct ShimConfig {
  std::string id;
  // "native" (berth's own runtime, in the shim) or "oci" (runc).
  std::string runtime = "native";
  std::string runc_path = "runc";
  // runc's --root (its state directory); empty: BUNDLE/../../runc, the
  // exec root's runc directory.
  std::string runc_root;
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;
  std::string log_path;
  int64_t log_max_size = 0;
  int log_max_files = 1;
  // Attaches to wait for (bounded) before the process starts.
  int attach_wait = 0;
};

absl::StatusOr<ShimConfig> ParseShimConfig(absl::string_view json);
std::string SerializeShimConfig(const ShimConfig& config);

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_SHIM_CONFIG_H_
