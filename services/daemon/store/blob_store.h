#ifndef BERTH_SERVICES_DAEMON_STORE_BLOB_STORE_H_
#define BERTH_SERVICES_DAEMON_STORE_BLOB_STORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/daemon/image/digest.h"

namespace berth {

// Content-addressed blobs (image configs, layer tars) under
// <root>/sha256/<hex>. A blob is only ever visible complete: it is written
// to a temp file, fsynced and renamed into place.
class BlobStore {
 public:
  explicit BlobStore(std::string root) : root_(std::move(root)) {}

  absl::Status Init();

  absl::StatusOr<Digest> Put(absl::string_view data);
  // Moves a file whose content hashes to `digest` (the caller hashed it
  // while reading) into the store. Same filesystem only. The file is not
  // fsynced: adopted files are layer tars, as durable as the diff dirs
  // applied from them, which are not synced either (nor are Docker's); a
  // sync would make docker load wait for the disk.
  absl::Status Adopt(const std::string& path, const Digest& digest);
  // The content, verified against its digest.
  absl::StatusOr<std::string> Read(const Digest& digest) const;
  bool Exists(const Digest& digest) const;
  absl::Status Delete(const Digest& digest);
  std::string Path(const Digest& digest) const;
  // Where to stage files that will be adopted.
  std::string StagingDir() const { return root_ + "/tmp"; }

 private:
  const std::string root_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_STORE_BLOB_STORE_H_
