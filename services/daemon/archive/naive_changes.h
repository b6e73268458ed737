#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_NAIVE_CHANGES_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_NAIVE_CHANGES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/daemon/archive/change.h"

namespace berth {

// docker diff by comparing two full trees: a vfs container's directory
// (`new_dir`) with its image's top layer (`old_dir`; "" for none, and
// then everything is added). dockerd computes every container's changes
// this way (ChangesDirs, on the mounted views, whatever the driver).
//
// Docker's rules: a path only in `new_dir` is Added, and so is everything
// below it; a path only in `old_dir` is Deleted, but not what was below
// it; a path in both is Modified when its type, permissions, owner,
// group, device number or security.capability differ, or, unless the old
// one is a directory, its size or mtime. A directory that is not itself
// Added or Modified is still reported Modified when anything below it
// changed, before those changes. A file that is the same inode in both
// trees is unchanged without looking. Symlinks are compared, never
// followed; the root itself is never reported.
//
// Order: depth first, each directory's names in byte order, a directory
// before what is below it. (dockerd's order is that of Go map iteration,
// i.e. none; this one is stable.)
absl::StatusOr<std::vector<Change>> NaiveChanges(const std::string& new_dir,
                                                 const std::string& old_dir);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_NAIVE_CHANGES_H_
