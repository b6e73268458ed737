#include "services/daemon/archive/naive_changes.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/archive/change_rules.h"
#include "services/daemon/archive/fs_util.h"

namespace berth {
namespace {

using archive_internal::ChildPath;
using archive_internal::Differs;
using archive_internal::DirectoryChange;
using archive_internal::ListDir;
using archive_internal::Quote;
using archive_internal::UniqueFd;

// Each level keeps two directories open.
constexpr int kMaxDepth = 1024;

absl::StatusOr<std::vector<std::string>> SortedNames(int dirfd) {
  if (dirfd < 0) return std::vector<std::string>();
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dirfd, "."));
  std::sort(names.begin(), names.end());
  return names;
}

// lstat of `name` in `dirfd`; false if it is not there (any more).
absl::StatusOr<bool> Lstat(int dirfd, const std::string& name,
                           const std::string& path, struct stat* st) {
  if (fstatat(dirfd, name.c_str(), st, AT_SYMLINK_NOFOLLOW) == 0) return true;
  if (errno == ENOENT) return false;
  return ErrnoStatus(errno, absl::StrCat("stat ", Quote(path)));
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

class Comparer {
 public:
  explicit Comparer(std::vector<Change>& out) : out_(out) {}

  // The changes below directory `path`, open as `new_fd` and, if a
  // directory was there before, `old_fd` (else -1: all of it is new).
  absl::Status CompareDir(int new_fd, int old_fd, const std::string& path,
                          int depth);

 private:
  std::vector<Change>& out_;
};

absl::Status Comparer::CompareDir(int new_fd, int old_fd,
                                  const std::string& path, int depth) {
  if (depth >= kMaxDepth) {
    return absl::ResourceExhaustedError(
        absl::StrCat("directory ", Quote(path), " is nested too deeply"));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> new_names,
                         SortedNames(new_fd));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> old_names,
                         SortedNames(old_fd));
  size_t i = 0, j = 0;
  while (i < new_names.size() || j < old_names.size()) {
    bool in_new, in_old;
    std::string name;
    if (j == old_names.size() ||
        (i < new_names.size() && new_names[i] < old_names[j])) {
      name = new_names[i++];
      in_new = true;
      in_old = false;
    } else if (i == new_names.size() || old_names[j] < new_names[i]) {
      name = old_names[j++];
      in_new = false;
      in_old = true;
    } else {
      name = new_names[i++];
      ++j;
      in_new = in_old = true;
    }
    std::string child = ChildPath(path, name);
    struct stat new_st, old_st;
    if (in_new) {
      BERTH_ASSIGN_OR_RETURN(in_new, Lstat(new_fd, name, child, &new_st));
    }
    if (in_old) {
      BERTH_ASSIGN_OR_RETURN(in_old, Lstat(old_fd, name, child, &old_st));
    }
    if (!in_new) {
      if (in_old) out_.push_back({child, ChangeKind::kDeleted});
      continue;
    }
    if (!in_old) {
      out_.push_back({child, ChangeKind::kAdded});
      if (S_ISDIR(new_st.st_mode)) {
        BERTH_ASSIGN_OR_RETURN(UniqueFd sub, OpenDir(new_fd, name, child));
        BERTH_RETURN_IF_ERROR(CompareDir(sub.get(), -1, child, depth + 1));
      }
      continue;
    }
    // One inode seen through both trees (a hardlinked copy, or one
    // filesystem under two paths) cannot differ.
    if (new_st.st_dev == old_st.st_dev && new_st.st_ino == old_st.st_ino) {
      continue;
    }
    BERTH_ASSIGN_OR_RETURN(bool changed,
                           Differs(old_fd, name, old_st, new_fd, name, new_st));
    if (!S_ISDIR(new_st.st_mode)) {
      if (changed) out_.push_back({child, ChangeKind::kModified});
      continue;
    }
    DirectoryChange dir(out_, child, changed);
    BERTH_ASSIGN_OR_RETURN(UniqueFd new_sub, OpenDir(new_fd, name, child));
    UniqueFd old_sub;
    // A directory where there was none: everything in it is new.
    if (S_ISDIR(old_st.st_mode)) {
      BERTH_ASSIGN_OR_RETURN(old_sub, OpenDir(old_fd, name, child));
    }
    BERTH_RETURN_IF_ERROR(
        CompareDir(new_sub.get(), old_sub.get(), child, depth + 1));
    dir.Close();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Change>> NaiveChanges(const std::string& new_dir,
                                                 const std::string& old_dir) {
  UniqueFd new_root(open(new_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (new_root.get() < 0) {
    return ErrnoStatus(errno, absl::StrCat("open ", new_dir));
  }
  UniqueFd old_root;
  if (!old_dir.empty()) {
    old_root =
        UniqueFd(open(old_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (old_root.get() < 0) {
      return ErrnoStatus(errno, absl::StrCat("open ", old_dir));
    }
  }
  std::vector<Change> changes;
  Comparer comparer(changes);
  BERTH_RETURN_IF_ERROR(
      comparer.CompareDir(new_root.get(), old_root.get(), "/", 0));
  return changes;
}

}  // namespace berth
