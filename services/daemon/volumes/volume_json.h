#ifndef BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_JSON_H_
#define BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_JSON_H_

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "proto/volume.pb.h"

namespace berth {

// Docker Engine API shapes of the volume endpoints, shared by the gateway
// and the volume jobs' output.

// Docker's Volume object; UsageData only when the volume carries it
// (disk-usage answers), Status only when not empty.
nlohmann::json VolumeJson(const v1::Volume& volume);
// GET /volumes: {"Volumes": [...], "Warnings": [...]}.
nlohmann::json VolumeListJson(const v1::ListVolumesReply& reply);
// POST /volumes/prune: {"VolumesDeleted": [...], "SpaceReclaimed": N}.
nlohmann::json VolumePruneJson(const v1::PruneVolumesReply& reply);

// The body of POST /volumes/create: {Name, Driver, DriverOpts, Labels},
// each optional and null-tolerant. InvalidArgument for other types.
absl::StatusOr<v1::CreateVolumeRequest> CreateVolumeRequestFromJson(
    const nlohmann::json& body);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_JSON_H_
