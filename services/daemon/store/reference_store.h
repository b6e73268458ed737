#ifndef BERTH_SERVICES_DAEMON_STORE_REFERENCE_STORE_H_
#define BERTH_SERVICES_DAEMON_STORE_REFERENCE_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/daemon/image/digest.h"
#include "services/daemon/image/reference.h"

namespace berth {

// Tags and digest references -> image IDs, persisted atomically as one
// JSON file (like dockerd's repositories.json).
class ReferenceStore {
 public:
  explicit ReferenceStore(std::string path) : path_(std::move(path)) {}

  absl::Status Load();

  // Points `ref` (normalized, tagged or digested) at `id`. Returns the
  // image the tag named before, if it moved.
  absl::StatusOr<std::optional<Digest>> Add(const Reference& ref,
                                            const Digest& id);
  absl::Status Delete(const Reference& ref);
  std::optional<Digest> Get(const Reference& ref) const;
  // Every reference to `id`, sorted.
  std::vector<Reference> RefsOf(const Digest& id) const;
  // Every reference, grouped by image: one pass for a listing.
  absl::flat_hash_map<Digest, std::vector<Reference>> ByImage() const;
  std::optional<absl::Time> LastTagTime(const Digest& id) const;

 private:
  absl::Status SaveLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  mutable absl::Mutex mu_;
  // Full reference string -> (reference, image).
  absl::btree_map<std::string, std::pair<Reference, Digest>> refs_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Digest, absl::Time> tagged_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_STORE_REFERENCE_STORE_H_
