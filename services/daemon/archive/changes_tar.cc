#include "services/daemon/archive/changes_tar.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/archive/fs_util.h"
#include "services/daemon/archive/root_path.h"
#include "services/daemon/archive/tar_writer.h"
#include "services/daemon/archive/whiteout.h"

namespace berth {
namespace {

using archive_internal::CleanBase;
using archive_internal::CleanDir;
using archive_internal::OpenBeneath;
using archive_internal::Quote;
using archive_internal::TarWriter;
using archive_internal::UniqueFd;

bool IsCleanAbsolute(const std::string& path) {
  if (path.size() < 2 || path.front() != '/') return false;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(path).substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

// The parent directories of consecutive changes are mostly the same.
class ParentCache {
 public:
  explicit ParentCache(int root) : root_(root) {}

  // The open parent directory `dir` (clean, absolute), or -errno.
  int Get(const std::string& dir) {
    if (!valid_ || dir != dir_) {
      result_ = OpenBeneath(root_, dir, O_PATH | O_DIRECTORY);
      fd_ = UniqueFd(result_);  // -errno owns nothing
      dir_ = dir;
      valid_ = true;
    }
    return result_;
  }

 private:
  const int root_;
  bool valid_ = false;
  std::string dir_;
  UniqueFd fd_;
  int result_ = -1;
};

}  // namespace

absl::Status WriteChangesTar(const std::string& root_dir,
                             const std::vector<Change>& changes,
                             ByteSink& out) {
  std::vector<const Change*> sorted;
  sorted.reserve(changes.size());
  for (const Change& change : changes) {
    if (!IsCleanAbsolute(change.path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("changed path ", Quote(change.path),
                       " is not a clean absolute path"));
    }
    sorted.push_back(&change);
  }
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const Change* a, const Change* b) { return a->path < b->path; });

  UniqueFd root(open(root_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) {
    return ErrnoStatus(errno, absl::StrCat("open ", root_dir));
  }
  ParentCache parents(root.get());
  TarWriter writer(WhiteoutMode::kApply, out);
  BERTH_RETURN_IF_ERROR(writer.Open());
  for (const Change* change : sorted) {
    const std::string& path = change->path;
    std::string dir = CleanDir(path);
    std::string name = CleanBase(path);
    int parent = parents.Get(dir);
    // A parent that is gone, or replaced by something else than a
    // directory, went with what was below it.
    bool parent_gone = parent == -ENOENT || parent == -ENOTDIR ||
                       parent == -ELOOP || parent == -EXDEV;
    if (parent < 0 && !parent_gone) {
      return ErrnoStatus(-parent, absl::StrCat("open ", Quote(dir)));
    }
    if (change->kind == ChangeKind::kDeleted) {
      struct stat st = {};
      if (!parent_gone && fstat(parent, &st) != 0) {
        return ErrnoStatus(errno, absl::StrCat("stat ", Quote(dir)));
      }
      std::string rel_dir = dir == "/" ? "" : absl::StrCat(dir.substr(1), "/");
      BERTH_RETURN_IF_ERROR(
          writer.WriteEmptyFile(absl::StrCat(rel_dir, kWhiteoutPrefix, name), 0,
                                0, st.st_mtim.tv_sec, 0600));
      continue;
    }
    if (parent_gone) continue;
    struct stat st;
    if (fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return ErrnoStatus(errno, absl::StrCat("stat ", Quote(path)));
    }
    BERTH_RETURN_IF_ERROR(writer.WriteEntry(parent, name, path.substr(1), st));
  }
  return writer.Close();
}

}  // namespace berth
