// docker import: a root filesystem tar (plain or compressed) becomes an
// image of one layer, its config shaped by --change lines. Also the
// steps every new image from a tar shares (docker commit's too): staging
// the layer, naming and storing the image.
#include <fcntl.h>
#include <unistd.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/version/version.h"
#include "services/daemon/image/reference.h"
#include "services/daemon/images/image_changes.h"
#include "services/daemon/images/image_core.h"

namespace berth {

absl::StatusOr<std::optional<Reference>> ImageCore::NewImageName(
    const std::string& repo, const std::string& tag,
    absl::string_view digest_error) {
  if (repo.empty()) return std::nullopt;
  std::string name = repo;
  if (!tag.empty()) absl::StrAppend(&name, ":", tag);
  BERTH_ASSIGN_OR_RETURN(Reference parsed, ParseNormalizedNamed(name));
  if (parsed.digest) return absl::InvalidArgumentError(digest_error);
  return WithDefaultTag(parsed);
}

absl::StatusOr<std::string> ImageCore::StageLayer(absl::string_view purpose,
                                                  const LayerWriter& write) {
  std::random_device random;
  std::string staged =
      absl::StrCat(blobs_.StagingDir(), "/", purpose, "-",
                   absl::StrFormat("%08x%08x", random(), random()));
  int fd = open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "create " + staged);
  FdSink sink(fd);
  absl::Status written = write(sink);
  if (close(fd) != 0 && written.ok()) {
    written = ErrnoStatus(errno, "write " + staged);
  }
  if (!written.ok()) {
    unlink(staged.c_str());
    return written;
  }
  return staged;
}

absl::StatusOr<Image> ImageCore::StoreImage(
    std::string config_json, const std::optional<Digest>& parent,
    const std::optional<Reference>& ref) {
  absl::StatusOr<Image> image = images_.Create(std::move(config_json), parent);
  if (!image.ok()) {
    RemoveUnusedLayers();
    return image.status();
  }
  if (ref) BERTH_RETURN_IF_ERROR(TagImage(*ref, image->id, nullptr));
  return image;
}

absl::StatusOr<v1::ImportReply> ImageCore::Import(
    ByteSource& in, const v1::ImportOptions& options) {
  BERTH_ASSIGN_OR_RETURN(std::optional<Reference> ref,
                         NewImageName(options.repo(), options.tag(),
                                      "cannot import to a digest reference"));
  nlohmann::json container_config = nlohmann::json::object();
  BERTH_RETURN_IF_ERROR(ApplyImageChanges(
      {options.changes().begin(), options.changes().end()}, container_config));

  auto copy = [&in](ByteSink& out) -> absl::Status {
    std::string buffer(1 << 20, '\0');
    while (true) {
      BERTH_ASSIGN_OR_RETURN(size_t n, in.Read(buffer.data(), buffer.size()));
      if (n == 0) return absl::OkStatus();
      BERTH_RETURN_IF_ERROR(out.Write(absl::string_view(buffer.data(), n)));
    }
  };
  BERTH_ASSIGN_OR_RETURN(std::string staged, StageLayer("import", copy));
  absl::MutexLock lock(&write_mu_);
  absl::StatusOr<Layer> layer =
      layers_.Register(staged, std::nullopt, std::nullopt);
  if (!layer.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the imported archive could not be applied: ",
                     layer.status().message()));
  }
  std::string now =
      absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  std::string comment =
      options.message().empty() ? "Imported from -" : options.message();
  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", now},
      {"comment", comment},
      {"docker_version", kVersion},
      {"config", container_config},
      {"rootfs",
       {{"type", "layers"}, {"diff_ids", {layer->diff_id.ToString()}}}},
      {"history", {{{"created", now}, {"comment", comment}}}},
  };
  BERTH_ASSIGN_OR_RETURN(Image image,
                         StoreImage(config.dump(), std::nullopt, ref));
  v1::ImportReply reply;
  reply.set_id(image.id.ToString());
  return reply;
}

}  // namespace berth
