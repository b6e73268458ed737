#include "services/daemon/archive/overlay_changes.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/archive/change_rules.h"
#include "services/daemon/archive/fs_util.h"
#include "services/daemon/archive/whiteout.h"

namespace berth {
namespace {

using archive_internal::ChildPath;
using archive_internal::Differs;
using archive_internal::DirectoryChange;
using archive_internal::ListDir;
using archive_internal::Quote;
using archive_internal::UniqueFd;

// Each level keeps the upper directory and its lower ones open.
constexpr int kMaxDepth = 512;

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == 0;
}

// Whether directory `fd` hides the layers below it.
bool IsOpaque(int fd) {
  char value[2];
  ssize_t n = fgetxattr(fd, kOverlayOpaqueXattr, value, sizeof(value));
  return n == 1 && value[0] == 'y';
}

absl::StatusOr<UniqueFd> OpenDir(int dirfd, const std::string& name,
                                 const std::string& path) {
  UniqueFd fd(openat(dirfd, name.c_str(),
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    return ErrnoStatus(errno, absl::StrCat("open ", Quote(path)));
  }
  return fd;
}

// The directories of the lower layers that make up one directory of the
// image's view, topmost first.
using LowerDirs = std::vector<UniqueFd>;

// What the image's view shows at `name` of the directory `lower`: the
// topmost entry there, unless it is a whiteout.
struct LowerEntry {
  bool exists = false;
  struct stat st;
  // The layer directory holding it.
  int dirfd = -1;
};

absl::StatusOr<LowerEntry> Lookup(const LowerDirs& lower,
                                  const std::string& name,
                                  const std::string& path) {
  for (const UniqueFd& dir : lower) {
    LowerEntry entry;
    if (fstatat(dir.get(), name.c_str(), &entry.st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return ErrnoStatus(
          errno, absl::StrCat("stat ", Quote(path), " in a lower layer"));
    }
    if (IsWhiteout(entry.st)) return LowerEntry();
    entry.exists = true;
    entry.dirfd = dir.get();
    return entry;
  }
  return LowerEntry();
}

// The lower directories that directory `name` of `lower` merges, as
// overlayfs looks them up: from the top, until a whiteout, a
// non-directory or an opaque directory ends the stack.
absl::StatusOr<LowerDirs> Descend(const LowerDirs& lower,
                                  const std::string& name,
                                  const std::string& path) {
  LowerDirs out;
  for (const UniqueFd& dir : lower) {
    struct stat st;
    if (fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return ErrnoStatus(
          errno, absl::StrCat("stat ", Quote(path), " in a lower layer"));
    }
    if (!S_ISDIR(st.st_mode)) break;
    BERTH_ASSIGN_OR_RETURN(UniqueFd sub, OpenDir(dir.get(), name, path));
    bool opaque = IsOpaque(sub.get());
    out.push_back(std::move(sub));
    if (opaque) break;
  }
  return out;
}

class Walker {
 public:
  explicit Walker(std::vector<Change>& out) : out_(out) {}

  // The changes below directory `path`: `upper` is its upper dir, `lower`
  // the image's view of it (empty where the image has no directory
  // there), and `merged_sees_lower` whether the container's view still
  // merges `lower` in (no opaque directory in the upper dir hides it).
  absl::Status Walk(int upper, const LowerDirs& lower, bool merged_sees_lower,
                    const std::string& path, int depth);

 private:
  std::vector<Change>& out_;
};

absl::Status Walker::Walk(int upper, const LowerDirs& lower,
                          bool merged_sees_lower, const std::string& path,
                          int depth) {
  if (depth >= kMaxDepth) {
    return absl::ResourceExhaustedError(
        absl::StrCat("directory ", Quote(path), " is nested too deeply"));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> upper_names,
                         ListDir(upper, "."));
  absl::btree_set<std::string> names(upper_names.begin(), upper_names.end());
  // What the upper dir does not name is the image's own, seen through
  // unchanged, unless the container's view no longer merges it: then it
  // is gone.
  if (!merged_sees_lower) {
    for (const UniqueFd& dir : lower) {
      BERTH_ASSIGN_OR_RETURN(std::vector<std::string> lower_names,
                             ListDir(dir.get(), "."));
      names.insert(lower_names.begin(), lower_names.end());
    }
  }
  for (const std::string& name : names) {
    std::string child = ChildPath(path, name);
    struct stat st;
    bool in_upper = true;
    if (fstatat(upper, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) {
        return ErrnoStatus(errno, absl::StrCat("stat ", Quote(child)));
      }
      in_upper = false;
    }
    if (!in_upper && merged_sees_lower) continue;  // vanished meanwhile
    BERTH_ASSIGN_OR_RETURN(LowerEntry old, Lookup(lower, name, child));
    if (!in_upper || IsWhiteout(st)) {
      if (old.exists) out_.push_back({child, ChangeKind::kDeleted});
      continue;
    }
    if (!old.exists) {
      out_.push_back({child, ChangeKind::kAdded});
      if (S_ISDIR(st.st_mode)) {
        // Nothing of the image is merged below a path it does not have:
        // all of this is the container's.
        BERTH_ASSIGN_OR_RETURN(UniqueFd sub, OpenDir(upper, name, child));
        BERTH_RETURN_IF_ERROR(
            Walk(sub.get(), LowerDirs(), false, child, depth + 1));
      }
      continue;
    }
    BERTH_ASSIGN_OR_RETURN(bool changed,
                           Differs(old.dirfd, name, old.st, upper, name, st));
    if (!S_ISDIR(st.st_mode)) {
      if (changed) out_.push_back({child, ChangeKind::kModified});
      continue;
    }
    DirectoryChange dir(out_, child, changed);
    BERTH_ASSIGN_OR_RETURN(UniqueFd sub, OpenDir(upper, name, child));
    LowerDirs sub_lower;
    // Over a non-directory, the container's directory merges nothing.
    bool sub_sees_lower = false;
    if (S_ISDIR(old.st.st_mode)) {
      BERTH_ASSIGN_OR_RETURN(sub_lower, Descend(lower, name, child));
      sub_sees_lower = merged_sees_lower && !IsOpaque(sub.get());
    }
    BERTH_RETURN_IF_ERROR(
        Walk(sub.get(), sub_lower, sub_sees_lower, child, depth + 1));
    dir.Close();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Change>> OverlayChanges(
    const std::string& upper_dir, const std::vector<std::string>& lower_dirs) {
  UniqueFd upper(open(upper_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (upper.get() < 0) {
    return ErrnoStatus(errno, absl::StrCat("open upper dir ", upper_dir));
  }
  LowerDirs lower;
  for (const std::string& dir : lower_dirs) {
    UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
      return ErrnoStatus(errno, absl::StrCat("open lower dir ", dir));
    }
    bool opaque = IsOpaque(fd.get());
    lower.push_back(std::move(fd));
    if (opaque) break;
  }
  std::vector<Change> changes;
  Walker walker(changes);
  BERTH_RETURN_IF_ERROR(
      walker.Walk(upper.get(), lower, !IsOpaque(upper.get()), "/", 0));
  return changes;
}

}  // namespace berth
