// docker commit, the image half: a container's changes become a layer on
// its image, and the image's config and history carry over with the
// container's config (as the commit request and --change lines shape
// it) and one history entry more, as dockerd's CommitImage makes it.
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "lib/base/status_macros.h"
#include "lib/docker/json_util.h"
#include "lib/version/version.h"
#include "services/daemon/images/image_changes.h"
#include "services/daemon/images/image_core.h"

namespace berth {
namespace {

using nlohmann::json;

// The diff ID of a tar with no entries (two zero blocks): a commit of a
// container that changed nothing adds no layer, as with Docker.
constexpr char kEmptyTarDiffId[] =
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

// The fields of Docker's container.Config: what a commit body may set.
// Anything else in the body (HostConfig and the like) is not image config.
constexpr const char* kConfigFields[] = {"Hostname",
                                         "Domainname",
                                         "User",
                                         "AttachStdin",
                                         "AttachStdout",
                                         "AttachStderr",
                                         "ExposedPorts",
                                         "Tty",
                                         "OpenStdin",
                                         "StdinOnce",
                                         "Env",
                                         "Cmd",
                                         "Healthcheck",
                                         "ArgsEscaped",
                                         "Image",
                                         "Volumes",
                                         "WorkingDir",
                                         "Entrypoint",
                                         "NetworkDisabled",
                                         "MacAddress",
                                         "OnBuild",
                                         "Labels",
                                         "StopSignal",
                                         "StopTimeout",
                                         "Shell"};

bool Empty(const json& config, const char* key) {
  auto it = config.find(key);
  return it == config.end() || it->is_null() ||
         ((it->is_array() || it->is_object() || it->is_string()) &&
          it->empty());
}

std::string EnvKey(const json& entry) {
  if (!entry.is_string()) return "";
  std::string text = entry.get<std::string>();
  return text.substr(0, text.find('='));
}

// dockerd's merge(): what the new config leaves unset comes from the
// container's config.
void MergeContainerConfig(json& config, const json& container) {
  for (const char* key : {"User", "WorkingDir", "StopSignal"}) {
    if (Empty(config, key) && !Empty(container, key)) {
      config[key] = container[key];
    }
  }
  // Maps: the container's keys the new config lacks are added (Volumes'
  // are all taken, as dockerd takes them).
  for (const char* key : {"ExposedPorts", "Labels", "Volumes"}) {
    json from = JsonObject(container, key);
    if (from.empty()) continue;
    if (!config.contains(key) || !config[key].is_object()) {
      config[key] = json::object();
    }
    for (auto it = from.begin(); it != from.end(); ++it) {
      if (std::string(key) == "Volumes" || !config[key].contains(it.key())) {
        config[key][it.key()] = it.value();
      }
    }
  }
  json env = JsonArray(container, "Env");
  if (Empty(config, "Env")) {
    if (!env.empty()) config["Env"] = env;
  } else {
    for (const json& entry : env) {
      bool found = false;
      for (const json& mine : config["Env"]) {
        found = found || EnvKey(mine) == EnvKey(entry);
      }
      if (!found) config["Env"].push_back(entry);
    }
  }
  if (Empty(config, "Entrypoint")) {
    if (Empty(config, "Cmd") && container.contains("Cmd")) {
      config["Cmd"] = container["Cmd"];
    }
    // Only an absent entrypoint is inherited: [] keeps it reset.
    auto entrypoint = config.find("Entrypoint");
    if ((entrypoint == config.end() || entrypoint->is_null()) &&
        container.contains("Entrypoint")) {
      config["Entrypoint"] = container["Entrypoint"];
    }
  }
  if (Empty(config, "Healthcheck") && !Empty(container, "Healthcheck")) {
    config["Healthcheck"] = container["Healthcheck"];
  }
}

// "sh -c echo hi": the container's command, for the history.
std::string CreatedBy(const json& container_config) {
  std::vector<std::string> words;
  for (const json& word : JsonArray(container_config, "Cmd")) {
    if (word.is_string()) words.push_back(word.get<std::string>());
  }
  return absl::StrJoin(words, " ");
}

}  // namespace

absl::StatusOr<std::string> ImageCore::Commit(const ImageCommit& commit,
                                              const LayerWriter& write_layer) {
  // Everything the request can get wrong, before any work.
  BERTH_ASSIGN_OR_RETURN(
      std::optional<Reference> ref,
      NewImageName(commit.repo, commit.tag,
                   "refusing to create a tag with a digest reference"));
  if (!commit.config.is_null() && !commit.config.is_object()) {
    return absl::InvalidArgumentError(
        "the commit's config must be a JSON object");
  }
  json config = json::object();
  if (commit.config.is_object()) {
    for (const char* key : kConfigFields) {
      if (commit.config.contains(key)) config[key] = commit.config[key];
    }
  } else if (commit.container_config.is_object()) {
    config = commit.container_config;
  }
  BERTH_RETURN_IF_ERROR(ApplyImageChanges(commit.changes, config));
  MergeContainerConfig(config, commit.container_config);
  BERTH_ASSIGN_OR_RETURN(Digest parent_id, Digest::Parse(commit.parent_id));
  std::optional<Image> parent = images_.Get(parent_id);
  if (!parent) {
    return absl::NotFoundError(
        absl::StrCat("No such image: ", commit.parent_id));
  }

  BERTH_ASSIGN_OR_RETURN(std::string staged, StageLayer("commit", write_layer));
  absl::MutexLock lock(&write_mu_);
  // The parent may have gone while the layer was written: an image in
  // use is never deleted, so only after a forced removal of the container
  // and then of its image.
  if (!images_.Get(parent_id)) {
    unlink(staged.c_str());
    return absl::NotFoundError(
        absl::StrCat("No such image: ", commit.parent_id));
  }
  std::optional<Digest> parent_chain;
  if (!parent->chain_ids.empty()) parent_chain = parent->chain_ids.back();
  absl::StatusOr<Layer> layer =
      layers_.Register(staged, parent_chain, std::nullopt);
  if (!layer.ok()) {
    return absl::Status(
        layer.status().code(),
        absl::StrCat("the container's changes could not be stored as a "
                     "layer: ",
                     layer.status().message()));
  }
  bool empty_layer = layer->diff_id.ToString() == kEmptyTarDiffId;

  std::string now =
      absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  json diff_ids = json::array();
  for (const Digest& diff_id : parent->diff_ids) {
    diff_ids.push_back(diff_id.ToString());
  }
  if (!empty_layer) diff_ids.push_back(layer->diff_id.ToString());
  json history = JsonArray(parent->config, "history");
  json entry = {{"created", now}};
  if (!commit.author.empty()) entry["author"] = commit.author;
  std::string created_by = CreatedBy(commit.container_config);
  if (!created_by.empty()) entry["created_by"] = created_by;
  if (!commit.comment.empty()) entry["comment"] = commit.comment;
  if (empty_layer) entry["empty_layer"] = true;
  history.push_back(entry);
  std::string architecture = JsonString(parent->config, "architecture");
  std::string os = JsonString(parent->config, "os");
  json image = {
      {"architecture", architecture.empty() ? "amd64" : architecture},
      {"os", os.empty() ? "linux" : os},
      {"config", config},
      {"container", commit.container_id},
      {"container_config", commit.container_config},
      {"created", now},
      {"docker_version", kVersion},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
      {"history", history},
  };
  // The platform's details stay the parent's.
  for (const char* key : {"variant", "os.version", "os.features"}) {
    if (parent->config.contains(key)) image[key] = parent->config[key];
  }
  if (!commit.author.empty()) image["author"] = commit.author;
  BERTH_ASSIGN_OR_RETURN(Image stored,
                         StoreImage(image.dump(), parent_id, ref));
  // Registered but not part of the image: nothing else can use it.
  if (empty_layer) RemoveUnusedLayers();
  return stored.id.ToString();
}

}  // namespace berth
