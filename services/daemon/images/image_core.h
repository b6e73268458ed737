#ifndef BERTH_SERVICES_DAEMON_IMAGES_IMAGE_CORE_H_
#define BERTH_SERVICES_DAEMON_IMAGES_IMAGE_CORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "proto/image.pb.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/byte_source.h"
#include "services/daemon/graphdriver/driver.h"
#include "services/daemon/store/blob_store.h"
#include "services/daemon/store/image_store.h"
#include "services/daemon/store/layer_store.h"
#include "services/daemon/store/reference_store.h"

namespace berth {

using ProgressSink = std::function<void(const v1::ProgressMessage&)>;

// Writes a layer tar (uncompressed) to `out`.
using LayerWriter = std::function<absl::Status(ByteSink& out)>;

// docker commit's image half: what the container half hands over.
struct ImageCommit {
  // The container's image ("sha256:..."): the new image's parent.
  std::string parent_id;
  std::string container_id;
  // The container's Config in Docker's JSON: the defaults of the new
  // image's config, and its "container_config".
  nlohmann::json container_config;
  // POST /commit's body (a Config); null when it had none, and then the
  // container's is taken.
  nlohmann::json config;
  // --change lines (Dockerfile instructions), applied to the config.
  std::vector<std::string> changes;
  std::string comment;
  std::string author;
  // The new image's name, as POST /commit's repo and tag give it; none
  // for an empty repo.
  std::string repo;
  std::string tag;
};

// The daemon's image half: every image job and RPC is an adapter over one
// of these methods.
class ImageCore {
 public:
  // `root` is <data-root>/image.
  ImageCore(std::string root, GraphDriver* driver);

  // Loads the stores and removes what interrupted work left behind:
  // staged files, incomplete layers, layers no image uses.
  absl::Status Restore();

  absl::StatusOr<v1::ListImagesReply> List(
      const v1::ListImagesRequest& request);
  absl::StatusOr<v1::ImageDetail> Inspect(const std::string& name);
  absl::StatusOr<v1::HistoryReply> History(const std::string& name);
  absl::StatusOr<v1::TagReply> Tag(const v1::TagRequest& request);
  absl::StatusOr<v1::RemoveImageReply> Remove(
      const v1::RemoveImageRequest& request);
  absl::StatusOr<v1::DiskUsageReply> DiskUsage();

  // A docker-save archive or OCI layout; see image_load.cc.
  absl::Status Load(ByteSource& in, const ProgressSink& progress);
  // A docker-save archive (with the OCI index too); see image_save.cc.
  absl::Status Save(const std::vector<std::string>& names, ByteSink& out);
  // A rootfs tar as a one-layer image; see image_import.cc.
  absl::StatusOr<v1::ImportReply> Import(ByteSource& in,
                                         const v1::ImportOptions& options);
  // The container's changes (the tar `write_layer` writes) as a new image
  // on the container's, returning its ID; see image_commit.cc.
  absl::StatusOr<std::string> Commit(const ImageCommit& commit,
                                     const LayerWriter& write_layer);

  // A reference, full or short ID; NotFound "No such image: NAME".
  absl::StatusOr<Image> Resolve(const std::string& name);

  v1::StoreInfoReply StoreInfo();

  // The graph driver's name for the image's top layer ("" for an image
  // without layers): containers get their read-write layer on it.
  absl::StatusOr<std::string> TopLayerId(const Image& image);

  // Who uses an image: the short ID of one container created from it, or
  // "" for none. An image in use is only ever untagged, never deleted, and
  // untagging its last name needs force.
  using ContainerUser = std::function<std::string(const Digest& image)>;
  void SetContainerUser(ContainerUser user) { container_user_ = user; }

 private:
  // `refs` are the image's references; `users`, when given, counts each
  // layer's images for SharedSize.
  v1::ImageSummary Summarize(const Image& image,
                             const std::vector<Reference>& refs,
                             const absl::flat_hash_map<Digest, int>* users);
  // Removes the layers of `image` that no image uses any more, top down;
  // appends a "Deleted" item for each.
  absl::Status PruneLayers(const Image& image, v1::RemoveImageReply* reply);
  // After a failed load: layers registered for images that never came.
  void RemoveUnusedLayers();
  // Tags `id` as `ref`, reporting a tag taken from another image.
  absl::Status TagImage(const Reference& ref, const Digest& id,
                        const ProgressSink& progress);
  // The name a new image (import, commit) gets from the API's repo and
  // tag: none for an empty repo, tag "latest" when none is given.
  // `digest_error` is the InvalidArgument message for a digest reference.
  static absl::StatusOr<std::optional<Reference>> NewImageName(
      const std::string& repo, const std::string& tag,
      absl::string_view digest_error);
  // Writes a layer tar into a new file of the blob store's staging dir
  // ("<purpose>-<random>") and returns its path; nothing is left on error.
  absl::StatusOr<std::string> StageLayer(absl::string_view purpose,
                                         const LayerWriter& write);
  // Stores the image config `config_json` (its layers registered) as a
  // child of `parent`, when given, and names it `ref`. Layers left
  // unused by a failure go.
  absl::StatusOr<Image> StoreImage(std::string config_json,
                                   const std::optional<Digest>& parent,
                                   const std::optional<Reference>& ref)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  const std::string root_;
  GraphDriver* const driver_;
  BlobStore blobs_;
  LayerStore layers_;
  ImageStore images_;
  ReferenceStore refs_;
  // Serializes changes (load, import, tag, remove): a layer registered by
  // a load is unreferenced until its image is stored, so cleanup after a
  // failure must not race with another load.
  absl::Mutex write_mu_;
  ContainerUser container_user_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_IMAGES_IMAGE_CORE_H_
