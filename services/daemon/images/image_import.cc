// docker import: a root filesystem tar (plain or compressed) becomes an
// image of one layer, its config shaped by --change lines.
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

absl::StatusOr<v1::ImportReply> ImageCore::Import(
    ByteSource& in, const v1::ImportOptions& options) {
  std::optional<Reference> ref;
  if (!options.repo().empty()) {
    std::string name = options.repo();
    if (!options.tag().empty()) absl::StrAppend(&name, ":", options.tag());
    BERTH_ASSIGN_OR_RETURN(Reference parsed, ParseNormalizedNamed(name));
    if (parsed.digest) {
      return absl::InvalidArgumentError("cannot import to a digest reference");
    }
    ref = WithDefaultTag(parsed);
  }
  nlohmann::json container_config = nlohmann::json::object();
  BERTH_RETURN_IF_ERROR(ApplyImageChanges(
      {options.changes().begin(), options.changes().end()}, container_config));

  absl::MutexLock lock(&write_mu_);
  std::random_device random;
  std::string staged =
      absl::StrCat(blobs_.StagingDir(), "/import-",
                   absl::StrFormat("%08x%08x", random(), random()));
  int fd = open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "create " + staged);
  absl::Status copied;
  std::string buffer(1 << 20, '\0');
  while (copied.ok()) {
    absl::StatusOr<size_t> n = in.Read(buffer.data(), buffer.size());
    if (!n.ok()) {
      copied = n.status();
      break;
    }
    if (*n == 0) break;
    size_t done = 0;
    while (done < *n && copied.ok()) {
      ssize_t w = write(fd, buffer.data() + done, *n - done);
      if (w < 0) copied = ErrnoStatus(errno, "write " + staged);
      if (w > 0) done += w;
    }
  }
  close(fd);
  if (!copied.ok()) {
    unlink(staged.c_str());
    return copied;
  }
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
  absl::StatusOr<Image> image = images_.Create(config.dump());
  if (!image.ok()) {
    RemoveUnusedLayers();
    return image.status();
  }
  if (ref) BERTH_RETURN_IF_ERROR(TagImage(*ref, image->id, nullptr));
  v1::ImportReply reply;
  reply.set_id(image->id.ToString());
  return reply;
}

}  // namespace berth
