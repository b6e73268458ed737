#include "services/daemon/volumes/volume_json.h"

#include "absl/strings/str_cat.h"

namespace berth {
namespace {

nlohmann::json StringMapJson(
    const google::protobuf::Map<std::string, std::string>& map) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : map) out[key] = value;
  return out;
}

absl::Status ReadString(const nlohmann::json& body, const char* key,
                        std::string* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid volume create body: ", key, " must be a string"));
  }
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadStringMap(
    const nlohmann::json& body, const char* key,
    google::protobuf::Map<std::string, std::string>* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid volume create body: ", key, " must be an object of strings"));
  }
  for (const auto& [name, value] : it->items()) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid volume create body: ", key, ".", name, " must be a string"));
    }
    (*out)[name] = value.get<std::string>();
  }
  return absl::OkStatus();
}

}  // namespace

nlohmann::json VolumeJson(const v1::Volume& volume) {
  nlohmann::json out = {
      {"CreatedAt", volume.created_at()},
      {"Driver", volume.driver()},
      {"Labels", StringMapJson(volume.labels())},
      {"Mountpoint", volume.mountpoint()},
      {"Name", volume.name()},
      {"Options", StringMapJson(volume.options())},
      {"Scope", volume.scope()},
  };
  if (!volume.status().empty()) out["Status"] = StringMapJson(volume.status());
  if (volume.has_usage_data()) {
    out["UsageData"] = {{"RefCount", volume.usage_data().ref_count()},
                        {"Size", volume.usage_data().size()}};
  }
  return out;
}

nlohmann::json VolumeListJson(const v1::ListVolumesReply& reply) {
  nlohmann::json volumes = nlohmann::json::array();
  for (const v1::Volume& volume : reply.volumes()) {
    volumes.push_back(VolumeJson(volume));
  }
  nlohmann::json warnings = nlohmann::json::array();
  for (const std::string& warning : reply.warnings())
    warnings.push_back(warning);
  return {{"Volumes", volumes}, {"Warnings", warnings}};
}

nlohmann::json VolumePruneJson(const v1::PruneVolumesReply& reply) {
  nlohmann::json deleted = nlohmann::json::array();
  for (const std::string& name : reply.volumes_deleted()) {
    deleted.push_back(name);
  }
  return {{"VolumesDeleted", deleted},
          {"SpaceReclaimed", reply.space_reclaimed()}};
}

absl::StatusOr<v1::CreateVolumeRequest> CreateVolumeRequestFromJson(
    const nlohmann::json& body) {
  v1::CreateVolumeRequest request;
  // An empty body creates an anonymous volume, as with dockerd.
  if (body.is_null()) return request;
  if (!body.is_object()) {
    return absl::InvalidArgumentError(
        "invalid volume create body: want a JSON object");
  }
  absl::Status status = ReadString(body, "Name", request.mutable_name());
  if (status.ok())
    status = ReadString(body, "Driver", request.mutable_driver());
  if (status.ok()) {
    status = ReadStringMap(body, "DriverOpts", request.mutable_driver_opts());
  }
  if (status.ok()) {
    status = ReadStringMap(body, "Labels", request.mutable_labels());
  }
  if (!status.ok()) return status;
  return request;
}

}  // namespace berth
