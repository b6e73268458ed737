#include "lib/docker/image_json.h"

#include "absl/strings/str_cat.h"
#include "lib/docker/json_util.h"

namespace berth {
namespace {

nlohmann::json StringList(
    const google::protobuf::RepeatedPtrField<std::string>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& item : items) out.push_back(item);
  return out;
}

nlohmann::json Labels(const v1::ImageSummary& image) {
  if (image.labels().empty()) return nullptr;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : image.labels()) out[key] = value;
  return out;
}

}  // namespace

nlohmann::json ImageSummaryJson(const v1::ImageSummary& image) {
  return {
      {"Id", image.id()},
      {"ParentId", image.parent_id()},
      {"RepoTags", StringList(image.repo_tags())},
      {"RepoDigests", StringList(image.repo_digests())},
      {"Created", image.created()},
      {"Size", image.size()},
      {"SharedSize", image.shared_size()},
      {"VirtualSize", image.size()},
      {"Labels", Labels(image)},
      {"Containers", image.containers()},
  };
}

nlohmann::json ImageInspectJson(const v1::ImageDetail& detail) {
  const v1::ImageSummary& image = detail.summary();
  nlohmann::json config =
      nlohmann::json::parse(detail.config_json(), nullptr, false);
  if (config.is_discarded()) config = nlohmann::json::object();
  nlohmann::json data = nlohmann::json::object();
  for (const auto& [key, value] : detail.graph_driver_data()) data[key] = value;
  nlohmann::json layers = nlohmann::json::array();
  for (const std::string& layer : detail.layers()) layers.push_back(layer);
  // As dockerd: a commit's (or a build step's) comment is in its history
  // entry only.
  std::string comment = JsonString(config, "comment");
  if (nlohmann::json history = JsonArray(config, "history");
      comment.empty() && !history.empty()) {
    comment = JsonString(history.back(), "comment");
  }
  return {
      {"Id", image.id()},
      {"RepoTags", StringList(image.repo_tags())},
      {"RepoDigests", StringList(image.repo_digests())},
      {"Parent", image.parent_id()},
      {"Comment", comment},
      {"Created", JsonString(config, "created")},
      {"Container", JsonString(config, "container")},
      {"ContainerConfig",
       config.is_object() && config.contains("container_config")
           ? config["container_config"]
           : nlohmann::json()},
      {"DockerVersion", JsonString(config, "docker_version")},
      {"Author", JsonString(config, "author")},
      {"Config", config.is_object() && config.contains("config")
                     ? config["config"]
                     : nlohmann::json()},
      {"Architecture", JsonString(config, "architecture")},
      {"Variant", JsonString(config, "variant")},
      {"Os", JsonString(config, "os")},
      {"Size", image.size()},
      {"VirtualSize", image.size()},
      {"GraphDriver", {{"Name", detail.graph_driver()}, {"Data", data}}},
      {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
      {"Metadata",
       {{"LastTagTime", detail.last_tag_time().empty()
                            ? "0001-01-01T00:00:00Z"
                            : detail.last_tag_time()}}},
  };
}

nlohmann::json HistoryJson(const v1::HistoryReply& history) {
  nlohmann::json out = nlohmann::json::array();
  for (const v1::HistoryItem& item : history.items()) {
    out.push_back({
        {"Id", item.id()},
        {"Created", item.created()},
        {"CreatedBy", item.created_by()},
        {"Tags", item.tags().empty() ? nlohmann::json(nullptr)
                                     : StringList(item.tags())},
        {"Size", item.size()},
        {"Comment", item.comment()},
    });
  }
  return out;
}

nlohmann::json DeleteItemsJson(const v1::RemoveImageReply& reply) {
  nlohmann::json out = nlohmann::json::array();
  for (const v1::DeleteItem& item : reply.items()) {
    if (item.has_untagged()) {
      out.push_back({{"Untagged", item.untagged()}});
    } else {
      out.push_back({{"Deleted", item.deleted()}});
    }
  }
  return out;
}

nlohmann::json ProgressJson(const v1::ProgressMessage& message) {
  nlohmann::json out = nlohmann::json::object();
  if (!message.stream().empty()) out["stream"] = message.stream();
  if (!message.status().empty()) out["status"] = message.status();
  if (!message.id().empty()) out["id"] = message.id();
  if (message.total() > 0) {
    out["progressDetail"] = {{"current", message.current()},
                             {"total", message.total()}};
  }
  return out;
}

nlohmann::json DiskUsageJson(const v1::DiskUsageReply& usage) {
  nlohmann::json images = nlohmann::json::array();
  for (const v1::ImageSummary& image : usage.images()) {
    images.push_back(ImageSummaryJson(image));
  }
  return {
      {"LayersSize", usage.layers_size()},
      {"Images", images},
      {"Containers", nlohmann::json::array()},
      {"Volumes", nlohmann::json::array()},
      {"BuildCache", nlohmann::json::array()},
  };
}

}  // namespace berth
