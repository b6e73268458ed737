#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_CHANGE_RULES_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_CHANGE_RULES_H_

// Docker's rules for docker diff, shared by NaiveChanges and
// OverlayChanges so that both report the same changes for the same trees.

#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/daemon/archive/change.h"

namespace berth::archive_internal {

// Whether a path that exists in both versions changed, by its lstat:
// Docker's statDifferent. Type and permission bits, owner, group and
// device number count; size and mtime count only when the old version is
// not a directory (a directory's are no measure of change). mtimes are
// equal when their nanoseconds are, or when they share a second and
// either lacks nanoseconds (tar keeps whole seconds).
bool StatDiffers(const struct stat& old_st, const struct stat& new_st);

// The security.capability xattr of `name` in `dirfd`, empty if it has
// none. Docker compares it too: file capabilities change what a binary
// may do without touching its stat.
absl::StatusOr<std::string> ReadCapability(int dirfd, const std::string& name);

// StatDiffers, or a different security.capability.
absl::StatusOr<bool> Differs(int old_dirfd, const std::string& old_name,
                             const struct stat& old_st, int new_dirfd,
                             const std::string& new_name,
                             const struct stat& new_st);

// "/" + name below the root, dir + "/" + name elsewhere.
std::string ChildPath(const std::string& dir, const std::string& name);

// A directory that exists in both versions is reported as modified when
// it changed itself, or when anything below it did (Docker records it so
// that a commit keeps its owner and mode), and then before the changes
// below it. Open one before looking below the directory, Close it after.
class DirectoryChange {
 public:
  DirectoryChange(std::vector<Change>& out, const std::string& path,
                  bool changed)
      : out_(out), at_(out.size()), changed_(changed) {
    out_.push_back({path, ChangeKind::kModified});
  }
  void Close() {
    if (!changed_ && out_.size() == at_ + 1) out_.pop_back();
  }

 private:
  std::vector<Change>& out_;
  size_t at_;
  bool changed_;
};

}  // namespace berth::archive_internal

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_CHANGE_RULES_H_
