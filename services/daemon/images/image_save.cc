// docker save: a docker-save archive (manifest.json) that also is an OCI
// image layout (index.json, oci-layout), like Docker 25's. Layers are the
// very blobs that were loaded, so digests and IDs survive a round trip.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/image/reference.h"
#include "services/daemon/images/image_core.h"

namespace berth {
namespace {

constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";
constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";
constexpr char kOciConfig[] = "application/vnd.oci.image.config.v1+json";

// Streams a tar through libarchive into a ByteSink.
class TarWriter {
 public:
  explicit TarWriter(ByteSink* sink)
      : sink_(sink), archive_(archive_write_new()) {
    archive_write_set_format_pax_restricted(archive_);
    archive_write_set_bytes_per_block(archive_, 0);
    archive_write_open(archive_, this, nullptr, &TarWriter::WriteCallback,
                       nullptr);
  }
  ~TarWriter() { archive_write_free(archive_); }

  absl::Status AddDir(const std::string& name) {
    return AddHeader(name, AE_IFDIR, 0755, 0);
  }

  absl::Status AddBytes(const std::string& name, absl::string_view data) {
    BERTH_RETURN_IF_ERROR(AddHeader(name, AE_IFREG, 0644, data.size()));
    return WriteData(data);
  }

  absl::Status AddFile(const std::string& name, const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open " + path);
    off_t size = lseek(fd, 0, SEEK_END);
    lseek(fd, 0, SEEK_SET);
    absl::Status status = AddHeader(name, AE_IFREG, 0644, size);
    std::string buffer(1 << 20, '\0');
    while (status.ok()) {
      ssize_t n = read(fd, buffer.data(), buffer.size());
      if (n < 0) status = ErrnoStatus(errno, "read " + path);
      if (n <= 0) break;
      status = WriteData(absl::string_view(buffer.data(), n));
    }
    close(fd);
    return status;
  }

  absl::Status Close() {
    if (archive_write_close(archive_) != ARCHIVE_OK) return Error("finish");
    return sink_status_;
  }

 private:
  static la_ssize_t WriteCallback(struct archive*, void* self,
                                  const void* buffer, size_t length) {
    auto* writer = static_cast<TarWriter*>(self);
    writer->sink_status_ = writer->sink_->Write(
        absl::string_view(static_cast<const char*>(buffer), length));
    return writer->sink_status_.ok() ? static_cast<la_ssize_t>(length) : -1;
  }

  absl::Status AddHeader(const std::string& name, int type, int mode,
                         int64_t size) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, type);
    archive_entry_set_perm(entry, mode);
    archive_entry_set_size(entry, size);
    archive_entry_set_mtime(entry, 0, 0);
    int result = archive_write_header(archive_, entry);
    archive_entry_free(entry);
    return result == ARCHIVE_OK ? absl::OkStatus() : Error(name);
  }

  absl::Status WriteData(absl::string_view data) {
    while (!data.empty()) {
      la_ssize_t n = archive_write_data(archive_, data.data(), data.size());
      if (n <= 0) return Error("write");
      data.remove_prefix(n);
    }
    return absl::OkStatus();
  }

  absl::Status Error(absl::string_view what) {
    if (!sink_status_.ok()) return sink_status_;
    const char* message = archive_error_string(archive_);
    return absl::InternalError(absl::StrCat(
        "writing the archive (", what, "): ", message ? message : "unknown"));
  }

  ByteSink* sink_;
  struct archive* archive_;
  absl::Status sink_status_;
};

std::string LayerMediaType(const std::string& blob_path) {
  unsigned char magic[4] = {};
  int fd = open(blob_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (read(fd, magic, sizeof(magic)) != sizeof(magic)) magic[0] = 0;
    close(fd);
  }
  if (magic[0] == 0x1f && magic[1] == 0x8b) {
    return "application/vnd.oci.image.layer.v1.tar+gzip";
  }
  if (magic[0] == 0x28 && magic[1] == 0xb5) {
    return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  return "application/vnd.oci.image.layer.v1.tar";
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

}  // namespace

absl::Status ImageCore::Save(const std::vector<std::string>& names,
                             ByteSink& out) {
  if (names.empty()) {
    return absl::InvalidArgumentError("docker save needs at least one image");
  }
  // Image -> the tags it is saved under, in the order asked.
  std::vector<std::pair<Image, std::vector<Reference>>> images;
  for (const std::string& name : names) {
    BERTH_ASSIGN_OR_RETURN(Image image, Resolve(name));
    std::vector<Reference> tags;
    absl::StatusOr<Reference> ref = ParseNormalizedNamed(name);
    if (ref.ok() && !LooksLikeImageId(name)) {
      Reference tagged = WithDefaultTag(*ref);
      if (ref->tag.empty() && !ref->digest) {
        // A bare repository saves every tag it has on this image.
        for (const Reference& r : refs_.RefsOf(image.id)) {
          if (!r.digest && r.Name() == ref->Name()) tags.push_back(r);
        }
      } else if (!tagged.digest) {
        tags.push_back(tagged);
      }
    }
    auto it = std::find_if(images.begin(), images.end(), [&](const auto& p) {
      return p.first.id == image.id;
    });
    if (it == images.end()) {
      images.push_back({image, tags});
    } else {
      it->second.insert(it->second.end(), tags.begin(), tags.end());
    }
  }

  TarWriter tar(&out);
  BERTH_RETURN_IF_ERROR(tar.AddDir("blobs/"));
  BERTH_RETURN_IF_ERROR(tar.AddDir("blobs/sha256/"));
  std::set<std::string> written;
  nlohmann::json manifest = nlohmann::json::array();
  nlohmann::json index_manifests = nlohmann::json::array();
  for (const auto& [image, tags] : images) {
    nlohmann::json layer_paths = nlohmann::json::array();
    nlohmann::json oci_layers = nlohmann::json::array();
    for (const Digest& chain : image.chain_ids) {
      std::optional<Layer> layer = layers_.Get(chain);
      if (!layer) {
        return absl::InternalError("layer " + chain.ToString() + " is missing");
      }
      std::string name = "blobs/sha256/" + layer->blob.hex();
      std::string path = blobs_.Path(layer->blob);
      if (written.insert(name).second) {
        BERTH_RETURN_IF_ERROR(tar.AddFile(name, path));
      }
      layer_paths.push_back(name);
      oci_layers.push_back({{"mediaType", LayerMediaType(path)},
                            {"digest", layer->blob.ToString()},
                            {"size", FileSize(path)}});
    }
    std::string config_name = "blobs/sha256/" + image.id.hex();
    if (written.insert(config_name).second) {
      BERTH_RETURN_IF_ERROR(tar.AddBytes(config_name, image.config_json));
    }
    std::string oci_manifest = nlohmann::json{
        {"schemaVersion", 2},
        {"mediaType", kOciManifest},
        {"config",
         {{"mediaType", kOciConfig},
          {"digest", image.id.ToString()},
          {"size", image.config_json.size()}}},
        {"layers", oci_layers}}.dump();
    Digest manifest_digest = Sha256Of(oci_manifest);
    std::string manifest_name = "blobs/sha256/" + manifest_digest.hex();
    if (written.insert(manifest_name).second) {
      BERTH_RETURN_IF_ERROR(tar.AddBytes(manifest_name, oci_manifest));
    }
    nlohmann::json repo_tags = nlohmann::json::array();
    nlohmann::json descriptor = {{"mediaType", kOciManifest},
                                 {"digest", manifest_digest.ToString()},
                                 {"size", oci_manifest.size()}};
    for (const Reference& tag : tags) {
      repo_tags.push_back(tag.FamiliarString());
      nlohmann::json tagged = descriptor;
      tagged["annotations"] = {{"io.containerd.image.name", tag.String()},
                               {"org.opencontainers.image.ref.name", tag.tag}};
      index_manifests.push_back(tagged);
    }
    if (tags.empty()) index_manifests.push_back(descriptor);
    manifest.push_back(
        {{"Config", config_name},
         {"RepoTags", repo_tags.empty() ? nlohmann::json(nullptr) : repo_tags},
         {"Layers", layer_paths}});
  }
  BERTH_RETURN_IF_ERROR(
      tar.AddBytes("index.json", nlohmann::json{{"schemaVersion", 2},
                                                {"mediaType", kOciIndex},
                                                {"manifests", index_manifests}}
                                     .dump()));
  BERTH_RETURN_IF_ERROR(tar.AddBytes("manifest.json", manifest.dump()));
  BERTH_RETURN_IF_ERROR(
      tar.AddBytes("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  return tar.Close();
}

}  // namespace berth
