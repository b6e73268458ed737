#ifndef BERTH_SERVICES_ENGINE_SYSTEM_INFO_H_
#define BERTH_SERVICES_ENGINE_SYSTEM_INFO_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/config.pb.h"
#include "proto/engine.pb.h"

namespace berth {

// The daemon's ID: made once, kept in the data root (engine-id).
absl::StatusOr<std::string> LoadOrCreateEngineId(const std::string& data_root);

v1::VersionInfo CollectVersion();

// What the host and the config tell about this daemon; containers and
// images are counted by their owners.
v1::SystemInfo CollectSystemInfo(const v1::DaemonConfig& config,
                                 const std::string& engine_id);

}  // namespace berth

#endif  // BERTH_SERVICES_ENGINE_SYSTEM_INFO_H_
