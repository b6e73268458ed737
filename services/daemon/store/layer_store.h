#ifndef BERTH_SERVICES_DAEMON_STORE_LAYER_STORE_H_
#define BERTH_SERVICES_DAEMON_STORE_LAYER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/daemon/archive/apply_layer.h"
#include "services/daemon/archive/byte_source.h"
#include "services/daemon/graphdriver/driver.h"
#include "services/daemon/image/digest.h"
#include "services/daemon/store/blob_store.h"

namespace berth {

struct Layer {
  Digest chain_id;
  Digest diff_id;
  // The parent layer's chain ID; none for a base layer.
  std::optional<Digest> parent;
  // The graph driver's name for it.
  std::string cache_id;
  // Bytes of file content in this layer alone.
  int64_t size = 0;
  // The tar as it came (compressed or not), kept so `docker save` gives
  // back the very bytes whose digests the image config names.
  Digest blob;
};

// A layer tar applied on no parent yet (see LayerStore::ApplyDetached):
// invisible until attached.
struct DetachedLayer {
  std::string cache_id;
  Digest diff_id;
  Digest blob;
  int64_t size = 0;
};

// Layers by chain ID, each applied once by the graph driver. A layer is
// visible only once complete: its metadata file is written last, and
// work interrupted before that is undone by Restore.
class LayerStore {
 public:
  LayerStore(std::string root, GraphDriver* driver, BlobStore* blobs)
      : root_(std::move(root)), driver_(driver), blobs_(blobs) {}

  absl::Status Restore();

  std::optional<Layer> Get(const Digest& chain_id) const;
  std::vector<Layer> List() const;

  // Applies the tar in `staged_file` (in the blob store's staging dir) on
  // `parent` and registers it, adopting the file as the layer's blob. With
  // `expected_diff_id` the tar must match it, and an existing layer is
  // returned without applying anything.
  absl::StatusOr<Layer> Register(const std::string& staged_file,
                                 const std::optional<Digest>& parent,
                                 const std::optional<Digest>& expected_diff_id);

  // Whether the graph driver lets a layer be applied before its parent is
  // known (overlay: a diff dir holds the layer's own changes only).
  bool CanApplyDetached() const;

  // Applies the layer tar read from `in` on no parent: docker load applies
  // a layer while it streams in, before the manifest that names its parent
  // has come. Unimplemented unless CanApplyDetached(). The caller must
  // Attach or Discard the result; a daemon killed before that leaves work
  // that Restore removes.
  absl::StatusOr<DetachedLayer> ApplyDetached(ByteSource& in);

  // Registers `layer` on `parent`, adopting `staged_file` (the tar as it
  // came, in the blob store's staging dir) as its blob, as Register does.
  // Its diff ID must be `expected_diff_id`. When the chain exists already,
  // that layer is returned and this one discarded. Either way the detached
  // layer is used up.
  absl::StatusOr<Layer> Attach(const DetachedLayer& layer,
                               const std::optional<Digest>& parent,
                               const Digest& expected_diff_id,
                               const std::string& staged_file);

  void Discard(const DetachedLayer& layer);

  absl::Status Remove(const Digest& chain_id);

 private:
  std::string MetaPath(const Digest& chain_id) const;
  std::string MarkerPath(const std::string& cache_id) const;
  // A new graph-driver layer on `parent` (nullopt: a base layer), marked
  // incomplete until Commit.
  absl::StatusOr<std::string> NewLayer(const std::optional<Layer>& parent);
  absl::StatusOr<ApplyStats> ApplyTo(const std::string& cache_id,
                                     ByteSource& in);
  // Removes a layer NewLayer made.
  void Undo(const std::string& cache_id);
  // Makes `layer` (its driver layer applied) visible with `staged_file` as
  // its blob, or returns the layer of the same chain that is already there.
  // On failure the driver layer and the staged file are removed.
  absl::StatusOr<Layer> Commit(const Layer& layer,
                               const std::string& staged_file);

  const std::string root_;
  GraphDriver* const driver_;
  BlobStore* const blobs_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Digest, Layer> layers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_STORE_LAYER_STORE_H_
