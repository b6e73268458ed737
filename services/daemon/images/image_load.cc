// docker load: a docker-save archive (manifest.json) or an OCI image
// layout (index.json), as a tar stream. The archive is unpacked into a
// staging directory, since the stream cannot be seeked and manifest.json
// may come last. With a driver whose layers hold only their own changes
// (overlay), every large file that may be a layer tar is also applied as a
// detached layer while it streams in, so a layer is read once; the manifest
// then puts each on its parent. Other layers (vfs, small ones, a tar that
// images name on different parents) are applied from the staged tar
// afterwards. Either way the staged tar is moved, not copied, into the
// blob store.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/docker/json_util.h"
#include "services/daemon/archive/apply_layer.h"
#include "services/daemon/archive/tee_source.h"
#include "services/daemon/image/reference.h"
#include "services/daemon/images/image_core.h"

namespace berth {
namespace {

// Files smaller than this are not applied as they stream in: they are
// configs and manifests far more often than layers, and a small layer
// costs little to apply from its staged copy.
constexpr int64_t kStreamLayerMinSize = 1 << 20;

// A file that may be a layer tar: "<id>/layer.tar" (docker save before
// v25) or a blob (OCI layouts, and docker save since v25).
bool MayBeLayer(const std::string& path, int64_t size) {
  return size >= kStreamLayerMinSize && (absl::EndsWith(path, "/layer.tar") ||
                                         absl::StartsWith(path, "blobs/"));
}

// A layer applied while the archive streamed in, and its staged tar.
struct StreamedLayer {
  DetachedLayer layer;
  std::string staged_file;
  bool attached = false;
};

struct ImageToLoad {
  std::string config_path;
  std::optional<Digest> config_digest;
  std::vector<std::string> layer_paths;
  std::vector<std::string> tags;
};

// A path named inside the archive: relative, no "..", a regular file (not
// a symlink) inside the staging dir.
absl::StatusOr<std::string> StagedFile(const std::string& staging,
                                       absl::string_view name) {
  std::string clean(absl::StripPrefix(name, "./"));
  if (clean.empty() || clean[0] == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid path in the archive: ", name));
  }
  for (absl::string_view part : absl::StrSplit(clean, '/')) {
    if (part == ".." || part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid path in the archive: ", name));
    }
  }
  std::string path = absl::StrCat(staging, "/", clean);
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the archive lacks file ", name));
  }
  // Refuse a parent that is a symlink, too.
  std::error_code error;
  std::filesystem::path canonical = std::filesystem::canonical(path, error);
  if (error || !absl::StartsWith(canonical.string(), staging + "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid path in the archive: ", name));
  }
  return path;
}

std::optional<Digest> DigestFromBlobPath(absl::string_view path) {
  path = absl::StripPrefix(path, "./");
  if (!absl::ConsumePrefix(&path, "blobs/sha256/")) return std::nullopt;
  absl::StatusOr<Digest> digest = Digest::Parse(absl::StrCat("sha256:", path));
  if (!digest.ok()) return std::nullopt;
  return *digest;
}

absl::StatusOr<nlohmann::json> ReadJson(const std::string& staging,
                                        absl::string_view name) {
  BERTH_ASSIGN_OR_RETURN(std::string path, StagedFile(staging, name));
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is not valid JSON"));
  }
  return parsed;
}

absl::StatusOr<std::vector<ImageToLoad>> FromDockerManifest(
    const nlohmann::json& manifest) {
  if (!manifest.is_array()) {
    return absl::InvalidArgumentError("manifest.json is not a list");
  }
  std::vector<ImageToLoad> out;
  for (const nlohmann::json& entry : manifest) {
    ImageToLoad image;
    if (JsonString(entry, "Config").empty() || !entry["Layers"].is_array()) {
      return absl::InvalidArgumentError(
          "manifest.json: an entry lacks Config or Layers");
    }
    image.config_path = entry["Config"].get<std::string>();
    image.config_digest = DigestFromBlobPath(image.config_path);
    if (!image.config_digest) {
      // The legacy layout names the config <hex>.json.
      absl::string_view name = image.config_path;
      if (absl::ConsumeSuffix(&name, ".json")) {
        absl::StatusOr<Digest> digest =
            Digest::Parse(absl::StrCat("sha256:", name));
        if (digest.ok()) image.config_digest = *digest;
      }
    }
    for (const nlohmann::json& layer : entry["Layers"]) {
      if (!layer.is_string()) {
        return absl::InvalidArgumentError(
            "manifest.json: a layer is not a path");
      }
      image.layer_paths.push_back(layer.get<std::string>());
    }
    for (const nlohmann::json& tag : JsonArray(entry, "RepoTags")) {
      if (tag.is_string()) image.tags.push_back(tag.get<std::string>());
    }
    out.push_back(std::move(image));
  }
  return out;
}

bool IsManifestList(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type ==
             "application/vnd.docker.distribution.manifest.list.v2+json";
}

// An OCI layout: index.json -> manifests (through nested indexes, the
// linux/amd64 entry) -> config and layer blobs.
absl::Status FromOciIndex(const std::string& staging,
                          const nlohmann::json& index,
                          const std::string& ref_name,
                          std::vector<ImageToLoad>* out, int depth = 0) {
  if (depth > 4) return absl::InvalidArgumentError("OCI index nests too deep");
  for (const nlohmann::json& descriptor : JsonArray(index, "manifests")) {
    BERTH_ASSIGN_OR_RETURN(Digest digest,
                           Digest::Parse(JsonString(descriptor, "digest")));
    std::string path = absl::StrCat("blobs/sha256/", digest.hex());
    std::string name = ref_name;
    nlohmann::json annotations = JsonObject(descriptor, "annotations");
    if (std::string full = JsonString(annotations, "io.containerd.image.name");
        !full.empty()) {
      name = full;
    } else if (std::string tag =
                   JsonString(annotations, "org.opencontainers.image.ref.name");
               !tag.empty()) {
      name = tag;
    }
    nlohmann::json platform = JsonObject(descriptor, "platform");
    std::string os = JsonString(platform, "os");
    std::string arch = JsonString(platform, "architecture");
    if ((!os.empty() && os != "linux") || (!arch.empty() && arch != "amd64")) {
      continue;
    }
    BERTH_ASSIGN_OR_RETURN(nlohmann::json manifest, ReadJson(staging, path));
    if (IsManifestList(JsonString(descriptor, "mediaType")) ||
        IsManifestList(JsonString(manifest, "mediaType"))) {
      BERTH_RETURN_IF_ERROR(
          FromOciIndex(staging, manifest, name, out, depth + 1));
      continue;
    }
    ImageToLoad image;
    BERTH_ASSIGN_OR_RETURN(
        image.config_digest,
        Digest::Parse(JsonString(JsonObject(manifest, "config"), "digest")));
    image.config_path =
        absl::StrCat("blobs/sha256/", image.config_digest->hex());
    for (const nlohmann::json& layer : JsonArray(manifest, "layers")) {
      BERTH_ASSIGN_OR_RETURN(Digest layer_digest,
                             Digest::Parse(JsonString(layer, "digest")));
      image.layer_paths.push_back(
          absl::StrCat("blobs/sha256/", layer_digest.hex()));
    }
    // A bare tag ("latest") in the layout's annotations names nothing.
    if (!name.empty() && ParseNormalizedNamed(name).ok() &&
        name.find_first_of(":/@") != std::string::npos) {
      image.tags.push_back(name);
    }
    out->push_back(std::move(image));
  }
  return absl::OkStatus();
}

std::string RandomSuffix() {
  std::random_device random;
  return absl::StrFormat("%08x%08x", random(), random());
}

}  // namespace

absl::Status ImageCore::Load(ByteSource& in, const ProgressSink& progress) {
  absl::MutexLock lock(&write_mu_);
  std::string staging =
      absl::StrCat(blobs_.StagingDir(), "/load-", RandomSuffix());
  BERTH_RETURN_IF_ERROR(MakeDirs(staging, 0700));
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{staging};

  // By path in the archive. Whatever no manifest attaches is discarded.
  absl::flat_hash_map<std::string, StreamedLayer> streamed;
  struct Discard {
    LayerStore& layers;
    absl::flat_hash_map<std::string, StreamedLayer>& streamed;
    ~Discard() {
      for (const auto& [path, entry] : streamed) {
        if (!entry.attached) layers.Discard(entry.layer);
      }
    }
  } discard{layers_, streamed};

  ApplyOptions unpack;
  unpack.whiteouts = WhiteoutMode::kApply;
  unpack.compute_diff_id = false;
  if (layers_.CanApplyDetached()) {
    unpack.write_content = [&](const std::string& path, int64_t size,
                               ByteSource& content, ByteSink& file) {
      TeeSource tee(&content, &file);
      if (!MayBeLayer(path, size)) return tee.Drain();
      absl::StatusOr<DetachedLayer> layer = layers_.ApplyDetached(tee);
      // What the layer reader left (all of it, when this is no layer).
      absl::Status drained = tee.Drain();
      if (!layer.ok()) {
        VLOG(1) << "load: " << path
                << " is not applied as it streams in: " << layer.status();
      } else if (!drained.ok()) {
        layers_.Discard(*layer);
      } else {
        // A later entry of the same name replaces the file, and so the
        // layer.
        StreamedLayer entry{*layer, absl::StrCat(staging, "/", path)};
        auto [it, added] = streamed.try_emplace(path, entry);
        if (!added) {
          layers_.Discard(it->second.layer);
          it->second = entry;
        }
      }
      return drained;
    };
  }
  absl::StatusOr<ApplyStats> unpacked = ApplyLayer(in, staging, unpack);
  if (!unpacked.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the archive could not be read: ", unpacked.status().message()));
  }

  std::vector<ImageToLoad> to_load;
  struct stat st;
  if (lstat((staging + "/manifest.json").c_str(), &st) == 0) {
    BERTH_ASSIGN_OR_RETURN(nlohmann::json manifest,
                           ReadJson(staging, "manifest.json"));
    BERTH_ASSIGN_OR_RETURN(to_load, FromDockerManifest(manifest));
  } else if (lstat((staging + "/index.json").c_str(), &st) == 0) {
    BERTH_ASSIGN_OR_RETURN(nlohmann::json index,
                           ReadJson(staging, "index.json"));
    BERTH_RETURN_IF_ERROR(FromOciIndex(staging, index, "", &to_load));
  } else {
    return absl::InvalidArgumentError(
        "the archive has neither manifest.json nor index.json: not a "
        "docker-save archive or OCI layout");
  }
  if (to_load.empty()) {
    return absl::InvalidArgumentError("the archive holds no image");
  }

  // The layer tars moved into the blob store, by path in the archive: a tar
  // that another image names on another parent is linked back from there.
  absl::flat_hash_map<std::string, Digest> adopted;
  absl::Status status;
  for (const ImageToLoad& entry : to_load) {
    absl::StatusOr<std::string> config_path =
        StagedFile(staging, entry.config_path);
    absl::StatusOr<std::string> config_json =
        config_path.ok() ? ReadFile(*config_path)
                         : absl::StatusOr<std::string>(config_path.status());
    if (!config_json.ok()) {
      status = config_json.status();
      break;
    }
    absl::StatusOr<Image> parsed = ParseImageConfig(*config_json);
    if (!parsed.ok()) {
      status = parsed.status();
      break;
    }
    if (entry.config_digest && *entry.config_digest != parsed->id) {
      status = absl::InvalidArgumentError(absl::StrCat(
          "image config ", entry.config_path, " does not match its digest (",
          parsed->id.ToString(), ")"));
      break;
    }
    if (parsed->diff_ids.size() != entry.layer_paths.size()) {
      status = absl::InvalidArgumentError(absl::StrCat(
          "image ", parsed->id.Short(), " names ", entry.layer_paths.size(),
          " layer files for ", parsed->diff_ids.size(), " layers"));
      break;
    }
    std::optional<Digest> parent;
    for (size_t i = 0; i < entry.layer_paths.size() && status.ok(); ++i) {
      const Digest& diff_id = parsed->diff_ids[i];
      Digest chain = parsed->chain_ids[i];
      v1::ProgressMessage message;
      message.set_id(diff_id.hex().substr(0, 12));
      if (layers_.Get(chain)) {
        parent = chain;
        continue;
      }
      message.set_status("Loading layer");
      std::string path(absl::StripPrefix(entry.layer_paths[i], "./"));
      auto it = streamed.find(path);
      absl::StatusOr<Layer> layer;
      if (it != streamed.end() && !it->second.attached) {
        it->second.attached = true;
        if (progress) progress(message);
        layer = layers_.Attach(it->second.layer, parent, diff_id,
                               it->second.staged_file);
      } else {
        if (auto blob = adopted.find(path); blob != adopted.end()) {
          std::string staged = absl::StrCat(staging, "/", path);
          if (link(blobs_.Path(blob->second).c_str(), staged.c_str()) != 0) {
            status = ErrnoStatus(errno, "link " + staged);
            break;
          }
        }
        absl::StatusOr<std::string> layer_path =
            StagedFile(staging, entry.layer_paths[i]);
        if (!layer_path.ok()) {
          status = layer_path.status();
          break;
        }
        if (progress) progress(message);
        layer = layers_.Register(*layer_path, parent, diff_id);
      }
      if (!layer.ok()) {
        status = layer.status();
        break;
      }
      adopted.insert_or_assign(path, layer->blob);
      parent = layer->chain_id;
      message.set_current(layer->size);
      message.set_total(layer->size);
      if (progress) progress(message);
    }
    if (!status.ok()) break;
    absl::StatusOr<Image> image = images_.Create(*config_json);
    if (!image.ok()) {
      status = image.status();
      break;
    }
    for (const std::string& tag : entry.tags) {
      absl::StatusOr<Reference> ref = ParseNormalizedNamed(tag);
      if (!ref.ok()) {
        LOG(WARNING) << "load: ignoring invalid tag " << tag;
        continue;
      }
      status = TagImage(WithDefaultTag(*ref), image->id, progress);
      if (!status.ok()) break;
      v1::ProgressMessage loaded;
      loaded.set_stream(absl::StrCat(
          "Loaded image: ", WithDefaultTag(*ref).FamiliarString(), "\n"));
      if (progress) progress(loaded);
    }
    if (entry.tags.empty()) {
      v1::ProgressMessage loaded;
      loaded.set_stream(
          absl::StrCat("Loaded image ID: ", image->id.ToString(), "\n"));
      if (progress) progress(loaded);
    }
  }
  if (!status.ok()) RemoveUnusedLayers();
  return status;
}

}  // namespace berth
