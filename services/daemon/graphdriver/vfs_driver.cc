#include "services/daemon/graphdriver/vfs_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/graphdriver/fs_util.h"

namespace berth {

absl::StatusOr<std::unique_ptr<VfsDriver>> VfsDriver::New(
    const std::string& root) {
  std::string home = absl::StrCat(root, "/vfs/dir");
  std::string tmp = absl::StrCat(root, "/vfs/tmp");
  BERTH_RETURN_IF_ERROR(MakeDirs(home, 0700));
  // Partial copies of an earlier run's interrupted Creates.
  BERTH_RETURN_IF_ERROR(RemoveTree(tmp));
  BERTH_RETURN_IF_ERROR(MakeDirs(tmp, 0700));
  absl::StatusOr<std::string> backing = BackingFsName(home);
  if (!backing.ok()) return backing.status();
  return std::unique_ptr<VfsDriver>(new VfsDriver(home, tmp, *backing));
}

std::string VfsDriver::DiffDir(const std::string& id) const {
  return absl::StrCat(home_, "/", id);
}

absl::Status VfsDriver::Create(const std::string& id,
                               const std::string& parent) {
  BERTH_RETURN_IF_ERROR(ValidateLayerId(id));
  std::string dir = DiffDir(id);
  if (parent.empty()) {
    if (mkdir(dir.c_str(), 0755) != 0) {
      if (errno == EEXIST) {
        return absl::AlreadyExistsError(
            absl::StrCat("layer ", id, " already exists"));
      }
      return ErrnoStatus(errno, absl::StrCat("create layer dir ", dir));
    }
    return absl::OkStatus();
  }
  BERTH_RETURN_IF_ERROR(ValidateLayerId(parent));
  if (!Exists(parent)) {
    return absl::NotFoundError(absl::StrCat(
        "parent layer ", parent, " of layer ", id, " does not exist"));
  }
  if (Exists(id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("layer ", id, " already exists"));
  }
  // Copy into <root>/vfs/tmp, then rename into place, so that a layer is
  // never seen half copied and a crash leaves only scratch behind.
  std::string tmp = absl::StrCat(tmp_, "/", id);
  absl::Status status = CopyTree(DiffDir(parent), tmp);
  if (status.ok() && renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(),
                               RENAME_NOREPLACE) != 0) {
    status =
        errno == EEXIST
            ? absl::AlreadyExistsError(
                  absl::StrCat("layer ", id, " already exists"))
            : ErrnoStatus(errno, absl::StrCat("rename ", tmp, " to ", dir));
  }
  if (!status.ok()) {
    // EEXIST from the copy's mkdir: a concurrent Create of the same id is
    // copying; its scratch dir is not ours to remove.
    if (absl::IsAlreadyExists(status)) {
      return absl::AlreadyExistsError(
          absl::StrCat("layer ", id, " already exists or is being created"));
    }
    absl::Status cleanup = RemoveTree(tmp);
    if (!cleanup.ok()) {
      LOG(WARNING) << "vfs: removing the partial copy " << tmp
                   << " failed: " << cleanup;
    }
    return absl::Status(status.code(), absl::StrCat("copy parent layer ",
                                                    parent, " into layer ", id,
                                                    ": ", status.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> VfsDriver::Get(const std::string& id) {
  BERTH_RETURN_IF_ERROR(ValidateLayerId(id));
  if (!Exists(id)) {
    return absl::NotFoundError(absl::StrCat("no such layer ", id));
  }
  return DiffDir(id);
}

absl::Status VfsDriver::Put(const std::string& id) {
  BERTH_RETURN_IF_ERROR(ValidateLayerId(id));
  if (!Exists(id)) {
    return absl::NotFoundError(absl::StrCat("no such layer ", id));
  }
  return absl::OkStatus();
}

absl::Status VfsDriver::Remove(const std::string& id) {
  BERTH_RETURN_IF_ERROR(ValidateLayerId(id));
  return RemoveTree(DiffDir(id));
}

bool VfsDriver::Exists(const std::string& id) const {
  if (!ValidateLayerId(id).ok()) return false;
  struct stat st;
  return lstat(DiffDir(id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::pair<std::string, std::string>> VfsDriver::Status() const {
  return {{"Backing Filesystem", backing_fs_}};
}

}  // namespace berth
