#include "services/daemon/store/blob_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"

namespace berth {
absl::Status BlobStore::Init() {
  BERTH_RETURN_IF_ERROR(MakeDirs(root_ + "/sha256", 0700));
  // Whatever was being staged when the daemon stopped is garbage now.
  std::error_code ignored;
  std::filesystem::remove_all(StagingDir(), ignored);
  return MakeDirs(StagingDir(), 0700);
}

std::string BlobStore::Path(const Digest& digest) const {
  return absl::StrCat(root_, "/sha256/", digest.hex());
}

absl::StatusOr<Digest> BlobStore::Put(absl::string_view data) {
  Digest digest = Sha256Of(data);
  if (Exists(digest)) return digest;
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(Path(digest), data, 0600));
  return digest;
}

absl::Status BlobStore::Adopt(const std::string& path, const Digest& digest) {
  if (rename(path.c_str(), Path(digest).c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("store blob ", digest.ToString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BlobStore::Read(const Digest& digest) const {
  BERTH_ASSIGN_OR_RETURN(std::string data, ReadFile(Path(digest)));
  if (Sha256Of(data) != digest) {
    return absl::DataLossError(
        absl::StrCat("blob ", digest.ToString(), " is corrupt on disk"));
  }
  return data;
}

bool BlobStore::Exists(const Digest& digest) const {
  struct stat st;
  return stat(Path(digest).c_str(), &st) == 0;
}

absl::Status BlobStore::Delete(const Digest& digest) {
  if (unlink(Path(digest).c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove blob ", digest.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace berth
