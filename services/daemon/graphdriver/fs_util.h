#ifndef BERTH_SERVICES_DAEMON_GRAPHDRIVER_FS_UTIL_H_
#define BERTH_SERVICES_DAEMON_GRAPHDRIVER_FS_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth {

// Copies the directory tree `src` to `dst`, which must not exist yet,
// natively (no shelling out). Keeps file types (regular files, dirs,
// symlinks, char and block devices, fifos, sockets), owners, modes
// including setuid/setgid/sticky, access and modification times (dirs are
// stamped after their contents), xattrs (a filesystem without xattr
// support is skipped silently) and hardlinks within the tree. File data is
// reflinked (FICLONE) where the filesystem can, otherwise copied with
// copy_file_range, falling back to read/write. Needs root for foreign
// owners and device nodes. On failure `dst` may be left partly copied.
absl::Status CopyTree(const std::string& src, const std::string& dst);

// Removes `path` and everything under it without following symlinks.
// A missing path is OK. Refuses (FailedPrecondition) to descend into a
// directory on another device (a mount point), so that a forgotten mount
// never has its contents deleted.
absl::Status RemoveTree(const std::string& path);

// The filesystem type holding `path` as `docker info` names it: "extfs",
// "xfs", "btrfs", "tmpfs", "overlayfs", "zfs", "f2fs", "nfs", or
// "<unknown 0xMAGIC>".
absl::StatusOr<std::string> BackingFsName(const std::string& path);

// Whether the filesystem holding `dir` fills in readdir's d_type (overlay
// needs it). Creates and removes a scratch dir under `dir`.
absl::StatusOr<bool> SupportsDType(const std::string& dir);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_GRAPHDRIVER_FS_UTIL_H_
