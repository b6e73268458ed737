#ifndef BERTH_LIB_CONFIG_CONFIG_H_
#define BERTH_LIB_CONFIG_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/config.pb.h"

namespace berth {

// The config berthd hands its services, in the run dir.
std::string ConfigPath(const v1::DaemonConfig& config);
absl::Status WriteConfig(const v1::DaemonConfig& config);
absl::StatusOr<v1::DaemonConfig> LoadConfig(const std::string& path);

// The unix socket of a service ("engine", "gateway", ...) in the run dir.
std::string ServiceSocket(const v1::DaemonConfig& config,
                          const std::string& service);

}  // namespace berth

#endif  // BERTH_LIB_CONFIG_CONFIG_H_
