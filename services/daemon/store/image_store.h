#ifndef BERTH_SERVICES_DAEMON_STORE_IMAGE_STORE_H_
#define BERTH_SERVICES_DAEMON_STORE_IMAGE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "services/daemon/image/digest.h"
#include "services/daemon/store/layer_store.h"

namespace berth {

struct Image {
  // sha256 of config_json.
  Digest id;
  std::string config_json;
  nlohmann::json config;
  // rootfs.diff_ids, base first, and the chain ID of each prefix.
  std::vector<Digest> diff_ids;
  std::vector<Digest> chain_ids;
  // Unix seconds of "created" (0 when absent or unparsable).
  int64_t created = 0;
  // The image this one was committed from, if any.
  std::optional<Digest> parent;
};

// Parses and checks an image config: JSON object, rootfs of type
// "layers" with valid diff IDs.
absl::StatusOr<Image> ParseImageConfig(std::string config_json);

// Image configs under <root>/sha256/<hex>, each verified against its name.
// An image is visible once its config file exists; its layers exist first.
class ImageStore {
 public:
  ImageStore(std::string root, LayerStore* layers)
      : root_(std::move(root)), layers_(layers) {}

  absl::Status Restore();

  // Stores the image whose layers are all in the layer store.
  absl::StatusOr<Image> Create(std::string config_json,
                               std::optional<Digest> parent = std::nullopt);
  std::optional<Image> Get(const Digest& id) const;
  // Shared, not copied: a listing of many images must not copy every
  // parsed config.
  std::vector<std::shared_ptr<const Image>> List() const;
  // Every image ID, as hex, for prefix lookups.
  std::vector<std::string> Ids() const;
  size_t Count() const;
  absl::Status Delete(const Digest& id);

  // Bytes of the image's layers.
  int64_t Size(const Image& image) const;
  // How many images use each layer (by chain ID).
  absl::flat_hash_map<Digest, int> LayerUsers() const;

 private:
  const std::string root_;
  LayerStore* const layers_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Digest, std::shared_ptr<const Image>> images_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_STORE_IMAGE_STORE_H_
