#ifndef BERTH_SERVICES_DAEMON_IMAGES_IMAGE_CORE_H_
#define BERTH_SERVICES_DAEMON_IMAGES_IMAGE_CORE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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
