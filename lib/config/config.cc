#include "lib/config/config.h"

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"

namespace berth {

std::string ConfigPath(const v1::DaemonConfig& config) {
  return absl::StrCat(config.exec_root(), "/config.pb");
}

absl::Status WriteConfig(const v1::DaemonConfig& config) {
  std::string bytes;
  if (!config.SerializeToString(&bytes)) {
    return absl::InternalError("cannot serialize the daemon config");
  }
  BERTH_RETURN_IF_ERROR(MakeDirs(config.exec_root(), 0700));
  return WriteFileAtomic(ConfigPath(config), bytes, 0600);
}

absl::StatusOr<v1::DaemonConfig> LoadConfig(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  v1::DaemonConfig config;
  if (!config.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a serialized DaemonConfig"));
  }
  return config;
}

std::string ServiceSocket(const v1::DaemonConfig& config,
                          const std::string& service) {
  return absl::StrCat(config.exec_root(), "/", service, ".sock");
}

}  // namespace berth
