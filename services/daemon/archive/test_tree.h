#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_TEST_TREE_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_TEST_TREE_H_

// Builds and describes directory trees in tests.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "services/daemon/archive/change.h"

namespace berth::testing {

// Creates `path` (and its parents, 0755) with `data` and `mode`; a
// failure ends the test.
void WriteFileOrDie(const std::string& path, const std::string& data,
                    mode_t mode = 0644);
void MkdirOrDie(const std::string& path, mode_t mode = 0755);
void SymlinkOrDie(const std::string& target, const std::string& path);
// An overlay whiteout: a 0/0 character device.
void WhiteoutOrDie(const std::string& path);
void SetXattrOrDie(const std::string& path, const std::string& name,
                   const std::string& value);
// Sets the mtime of `path` (not following a symlink), nanoseconds 0.
void SetMtimeOrDie(const std::string& path, time_t mtime);

// Everything about a tree that a layer or docker cp carries, one line per
// path below `root` (not `root` itself): type and mode, owner, mtime
// (whole seconds; not for symlinks), content digest, link target, device
// numbers and xattrs; hardlinks as "same inode as" the first path of
// their inode.
std::map<std::string, std::string> DescribeTree(const std::string& root);

// The extended attributes of `path` (not followed) as sorted
// "name=value" strings.
std::vector<std::string> ListXattrs(const std::string& path);

// "C /a", "A /a/b", ... one string per change, in order.
std::vector<std::string> ChangeLines(const std::vector<Change>& changes);

// An overlay mount of `lowers` (topmost first) with optional upper and
// work dirs, unmounted on destruction. ok() is false where mounting is not
// allowed (no root, no overlayfs): the test should skip.
class OverlayMount {
 public:
  OverlayMount(const std::string& target,
               const std::vector<std::string>& lowers,
               const std::string& upper = "", const std::string& work = "");
  ~OverlayMount();
  OverlayMount(const OverlayMount&) = delete;
  OverlayMount& operator=(const OverlayMount&) = delete;

  bool ok() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string target_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace berth::testing

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_TEST_TREE_H_
