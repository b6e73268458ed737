#include "services/daemon/graphdriver/overlay_driver.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/graphdriver/fs_util.h"

namespace berth {
namespace {

constexpr int kShortIdLength = 26;

absl::StatusOr<std::string> RandomShortId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  unsigned char bytes[kShortIdLength];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "getrandom");
    }
    got += n;
  }
  std::string id(kShortIdLength, 'A');
  for (int i = 0; i < kShortIdLength; ++i) id[i] = kAlphabet[bytes[i] % 32];
  return id;
}

absl::Status MkDir(const std::string& path, int mode) {
  if (mkdir(path.c_str(), mode) != 0) {
    return ErrnoStatus(errno, absl::StrCat("mkdir ", path));
  }
  return absl::OkStatus();
}

absl::Status Annotate(const absl::Status& status, absl::string_view prefix) {
  return absl::Status(status.code(),
                      absl::StrCat(prefix, ": ", status.message()));
}

}  // namespace

size_t OverlayDriver::MountDataLimit() {
  long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? static_cast<size_t>(page) : 4096;
}

absl::StatusOr<std::unique_ptr<OverlayDriver>> OverlayDriver::New(
    const std::string& root, std::unique_ptr<MountOps> mount_ops) {
  if (root.empty() || root[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "overlay driver root \"", root, "\" is not an absolute path"));
  }
  if (root.find_first_of(",:") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("overlay driver root \"", root,
                     "\" contains ',' or ':', which overlay mount options "
                     "cannot carry; choose another --data-root"));
  }
  std::string home = absl::StrCat(root, "/overlay");
  BERTH_RETURN_IF_ERROR(MakeDirs(absl::StrCat(home, "/l"), 0700));
  BERTH_ASSIGN_OR_RETURN(std::string backing, BackingFsName(home));
  BERTH_ASSIGN_OR_RETURN(bool d_type, SupportsDType(home));
  return std::unique_ptr<OverlayDriver>(
      new OverlayDriver(home, std::move(mount_ops), backing, d_type));
}

std::string OverlayDriver::LayerDir(const std::string& id) const {
  return absl::StrCat(home_, "/", id);
}

std::string OverlayDriver::DiffDir(const std::string& id) const {
  return absl::StrCat(home_, "/", id, "/diff");
}

bool OverlayDriver::Exists(const std::string& id) const {
  if (!ValidateLayerId(id).ok() || id == "l") return false;
  struct stat st;
  return lstat(DiffDir(id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

absl::StatusOr<std::string> OverlayDriver::ReadLower(
    const std::string& id) const {
  absl::StatusOr<std::string> lower =
      ReadFile(absl::StrCat(LayerDir(id), "/lower"));
  if (absl::IsNotFound(lower.status())) return std::string();
  if (!lower.ok()) return lower.status();
  return std::string(absl::StripAsciiWhitespace(*lower));
}

absl::StatusOr<std::vector<std::string>> OverlayDriver::LowerDirs(
    const std::string& id) const {
  BERTH_RETURN_IF_ERROR(ValidateLayerId(id));
  BERTH_ASSIGN_OR_RETURN(std::string lower, ReadLower(id));
  std::vector<std::string> dirs;
  if (lower.empty()) return dirs;
  for (absl::string_view link : absl::StrSplit(lower, ':')) {
    // l/<short> -> ../<layer>/diff: the layer's real diff dir, so that
    // callers see the path Create made rather than a link into it.
    std::string path = absl::StrCat(home_, "/", link);
    char target[PATH_MAX];
    ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("readlink ", path));
    absl::string_view rest(target, n);
    if (!absl::ConsumePrefix(&rest, "../") || rest.find("..") != rest.npos) {
      return absl::DataLossError(absl::StrCat(
          "overlay: ", path, " points outside the driver's layers: ", rest));
    }
    dirs.push_back(absl::StrCat(home_, "/", rest));
  }
  return dirs;
}

absl::StatusOr<std::string> OverlayDriver::MountData(
    const std::string& id, const std::string& lower) const {
  std::vector<std::string> dirs;
  for (absl::string_view link : absl::StrSplit(lower, ':')) {
    dirs.push_back(absl::StrCat(home_, "/", link));
  }
  std::string data = absl::StrCat("lowerdir=", absl::StrJoin(dirs, ":"),
                                  ",upperdir=", DiffDir(id),
                                  ",workdir=", LayerDir(id), "/work");
  const size_t limit = MountDataLimit();
  if (data.size() + 1 > limit) {
    return absl::FailedPreconditionError(absl::StrCat(
        "layer ", id, " has ", dirs.size(),
        " lower layers; its overlay mount options would take ", data.size() + 1,
        " bytes, more than the kernel's limit of ", limit,
        " bytes (one page), so berth's overlay driver cannot mount it. Use an "
        "image with fewer layers, a shorter --data-root, or "
        "--storage-driver=vfs"));
  }
  return data;
}

absl::Status OverlayDriver::Create(const std::string& id,
                                   const std::string& parent) {
  BERTH_RETURN_IF_ERROR(ValidateLayerId(id));
  if (id == "l") {
    return absl::InvalidArgumentError(
        "layer id \"l\" is reserved by the overlay driver");
  }
  if (!parent.empty()) BERTH_RETURN_IF_ERROR(ValidateLayerId(parent));
  absl::MutexLock lock(&mu_);
  if (!parent.empty() && !Exists(parent)) {
    return absl::NotFoundError(absl::StrCat(
        "parent layer ", parent, " of layer ", id, " does not exist"));
  }
  std::string dir = LayerDir(id);
  if (mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("layer ", id, " already exists"));
    }
    return ErrnoStatus(errno, absl::StrCat("create layer dir ", dir));
  }
  absl::Status status = CreateLocked(id, parent, dir);
  if (!status.ok()) {
    absl::StatusOr<std::string> link = ReadFile(absl::StrCat(dir, "/link"));
    if (link.ok()) unlink(absl::StrCat(home_, "/l/", *link).c_str());
    absl::Status cleanup = RemoveTree(dir);
    if (!cleanup.ok()) {
      LOG(WARNING) << "overlay: removing the partial layer " << dir
                   << " failed: " << cleanup;
    }
  }
  return status;
}

absl::Status OverlayDriver::CreateLocked(const std::string& id,
                                         const std::string& parent,
                                         const std::string& dir) {
  BERTH_RETURN_IF_ERROR(MkDir(DiffDir(id), 0755));
  std::string link;
  for (int attempt = 0;; ++attempt) {
    BERTH_ASSIGN_OR_RETURN(link, RandomShortId());
    std::string path = absl::StrCat(home_, "/l/", link);
    if (symlink(absl::StrCat("../", id, "/diff").c_str(), path.c_str()) == 0) {
      break;
    }
    if (errno != EEXIST || attempt == 5) {
      return ErrnoStatus(errno, absl::StrCat("symlink ", path));
    }
  }
  absl::Status status = WriteFileAtomic(absl::StrCat(dir, "/link"), link, 0644);
  if (!status.ok()) {
    unlink(absl::StrCat(home_, "/l/", link).c_str());
    return status;
  }
  if (parent.empty()) return absl::OkStatus();
  return SetParentLocked(id, parent);
}

absl::Status OverlayDriver::SetParent(const std::string& id,
                                      const std::string& parent) {
  BERTH_RETURN_IF_ERROR(ValidateLayerId(id));
  BERTH_RETURN_IF_ERROR(ValidateLayerId(parent));
  absl::MutexLock lock(&mu_);
  for (const std::string& layer : {id, parent}) {
    if (!Exists(layer)) {
      return absl::NotFoundError(absl::StrCat("no such layer ", layer));
    }
  }
  BERTH_ASSIGN_OR_RETURN(std::string lower, ReadLower(id));
  if (!lower.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("layer ", id, " already has a parent"));
  }
  return SetParentLocked(id, parent);
}

absl::Status OverlayDriver::SetParentLocked(const std::string& id,
                                            const std::string& parent) {
  BERTH_ASSIGN_OR_RETURN(std::string parent_link,
                         ReadFile(absl::StrCat(LayerDir(parent), "/link")));
  BERTH_ASSIGN_OR_RETURN(std::string parent_lower, ReadLower(parent));
  std::string lower = absl::StrCat("l/", parent_link);
  if (!parent_lower.empty()) absl::StrAppend(&lower, ":", parent_lower);
  // Refuse now, not when a container is started on it.
  BERTH_RETURN_IF_ERROR(MountData(id, lower).status());
  const std::string dir = LayerDir(id);
  BERTH_RETURN_IF_ERROR(MkDir(absl::StrCat(dir, "/work"), 0700));
  BERTH_RETURN_IF_ERROR(MkDir(absl::StrCat(dir, "/merged"), 0700));
  return WriteFileAtomic(absl::StrCat(dir, "/lower"), lower, 0644);
}

absl::StatusOr<std::string> OverlayDriver::Get(const std::string& id) {
  BERTH_RETURN_IF_ERROR(ValidateLayerId(id));
  absl::MutexLock lock(&mu_);
  if (!Exists(id)) {
    return absl::NotFoundError(absl::StrCat("no such layer ", id));
  }
  BERTH_ASSIGN_OR_RETURN(std::string lower, ReadLower(id));
  std::string view =
      lower.empty() ? DiffDir(id) : absl::StrCat(LayerDir(id), "/merged");
  int& refs = refs_[id];
  if (refs > 0) {
    ++refs;
    return view;
  }
  if (lower.empty()) {
    refs = 1;
    return view;
  }
  absl::StatusOr<std::string> data = MountData(id, lower);
  if (!data.ok()) {
    refs_.erase(id);
    return data.status();
  }
  // A mount left behind by a daemon that died: replace it.
  absl::StatusOr<bool> stale = IsMountPoint(view);
  if (stale.ok() && *stale) {
    LOG(WARNING) << "overlay: unmounting the stale mount " << view;
    (void)mount_ops_->Unmount(view, MNT_DETACH);
  }
  absl::Status status = mount_ops_->Mount("overlay", view, "overlay", 0, *data);
  if (!status.ok()) {
    refs_.erase(id);
    return Annotate(status, absl::StrCat("mount layer ", id));
  }
  refs = 1;
  return view;
}

absl::Status OverlayDriver::Put(const std::string& id) {
  BERTH_RETURN_IF_ERROR(ValidateLayerId(id));
  absl::MutexLock lock(&mu_);
  if (!Exists(id)) {
    return absl::NotFoundError(absl::StrCat("no such layer ", id));
  }
  auto it = refs_.find(id);
  if (it == refs_.end() || it->second <= 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "layer ", id, " is not in use: Put without a matching Get"));
  }
  if (it->second > 1) {
    --it->second;
    return absl::OkStatus();
  }
  BERTH_ASSIGN_OR_RETURN(std::string lower, ReadLower(id));
  if (!lower.empty()) {
    std::string merged = absl::StrCat(LayerDir(id), "/merged");
    absl::Status status = mount_ops_->Unmount(merged, MNT_DETACH);
    // InvalidArgument (EINVAL): not mounted any more; nothing to undo.
    if (!status.ok() && !absl::IsInvalidArgument(status)) {
      return Annotate(status, absl::StrCat("unmount layer ", id));
    }
  }
  refs_.erase(it);
  return absl::OkStatus();
}

absl::Status OverlayDriver::Remove(const std::string& id) {
  BERTH_RETURN_IF_ERROR(ValidateLayerId(id));
  if (id == "l") return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  std::string dir = LayerDir(id);
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0 && errno == ENOENT) {
    refs_.erase(id);
    return absl::OkStatus();
  }
  std::string merged = absl::StrCat(dir, "/merged");
  auto it = refs_.find(id);
  bool in_use = it != refs_.end() && it->second > 0;
  absl::StatusOr<bool> mounted = IsMountPoint(merged);
  if (!mounted.ok()) return mounted.status();
  if (in_use) {
    LOG(WARNING) << "overlay: removing layer " << id << " while in use ("
                 << it->second << " Gets without Put)";
  }
  // A layer with a damaged lower file is still removable.
  const bool has_lower = !ReadLower(id).value_or("").empty();
  if (*mounted || (in_use && has_lower)) {
    absl::Status status = mount_ops_->Unmount(merged, MNT_DETACH);
    if (!status.ok() && !absl::IsInvalidArgument(status)) {
      return Annotate(status, absl::StrCat("remove layer ", id));
    }
  }
  refs_.erase(id);
  absl::StatusOr<std::string> link = ReadFile(absl::StrCat(dir, "/link"));
  if (link.ok() && !link->empty()) {
    std::string path = absl::StrCat(home_, "/l/", *link);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, absl::StrCat("remove layer link ", path));
    }
  }
  return Annotate(RemoveTree(dir), absl::StrCat("remove layer ", id));
}

std::vector<std::pair<std::string, std::string>> OverlayDriver::Status() const {
  return {{"Backing Filesystem", backing_fs_},
          {"Supports d_type", d_type_ ? "true" : "false"}};
}

absl::Status CheckOverlaySupport(const std::string& root, MountOps& ops) {
  BERTH_RETURN_IF_ERROR(MakeDirs(root, 0700));
  std::string backing = BackingFsName(root).value_or("<unknown>");
  std::string scratch = absl::StrCat(root, "/overlay-check-XXXXXX");
  if (mkdtemp(scratch.data()) == nullptr) {
    return ErrnoStatus(errno,
                       absl::StrCat("create a scratch dir under ", root));
  }
  bool mounted = false;
  std::string merged = absl::StrCat(scratch, "/merged");
  absl::Cleanup cleanup = [&] {
    if (mounted) (void)ops.Unmount(merged, MNT_DETACH);
    absl::Status s = RemoveTree(scratch);
    if (!s.ok()) LOG(WARNING) << "overlay check: " << s;
  };
  for (const char* sub : {"lower", "upper", "work", "merged"}) {
    BERTH_RETURN_IF_ERROR(MkDir(absl::StrCat(scratch, "/", sub), 0700));
  }
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(absl::StrCat(scratch, "/lower/probe"), "", 0644));

  std::string upper = absl::StrCat(scratch, "/upper");
  if (lsetxattr(upper.c_str(), "trusted.overlay.berth-probe", "y", 1, 0) != 0) {
    int err = errno;
    return absl::FailedPreconditionError(
        absl::StrCat("overlay needs trusted.* xattrs, but setting one under ",
                     root, " (", backing, ") failed: ", strerror(err),
                     err == EPERM ? " (berth must run as root)" : ""));
  }
  BERTH_ASSIGN_OR_RETURN(bool d_type, SupportsDType(scratch));
  if (!d_type) {
    return absl::FailedPreconditionError(absl::StrCat(
        "overlay needs a backing filesystem with d_type support, and ", root,
        " (", backing,
        ") has none (xfs must be formatted with ftype=1); use "
        "--storage-driver=vfs"));
  }
  std::string data =
      absl::StrCat("lowerdir=", scratch, "/lower,upperdir=", upper,
                   ",workdir=", scratch, "/work");
  absl::Status status = ops.Mount("overlay", merged, "overlay", 0, data);
  if (!status.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "a test overlay mount under ", root, " (", backing,
        ") failed: ", status.message(),
        "; the kernel may lack overlayfs or not allow it on this filesystem"));
  }
  mounted = true;
  struct stat st;
  if (lstat(absl::StrCat(merged, "/probe").c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("a test overlay mount under ", root,
                     " does not show its lower layer's files"));
  }
  status = ops.Unmount(merged, 0);
  if (!status.ok()) return status;
  mounted = false;
  return absl::OkStatus();
}

bool OverlaySupported(const std::string& root) {
  SystemMountOps ops;
  absl::Status status = CheckOverlaySupport(root, ops);
  if (!status.ok()) VLOG(1) << "overlay not supported: " << status;
  return status.ok();
}

}  // namespace berth
