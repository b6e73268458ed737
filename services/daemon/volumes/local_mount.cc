#include "services/daemon/volumes/local_mount.h"

#include <sys/mount.h>

#include <vector>

#include "absl/strings/str_split.h"
#include "services/runtime/mount_options.h"

namespace berth {
namespace {

// The flags a bind mount only honours through a remount.
constexpr unsigned long kBindRemountFlags =
    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_DIRSYNC |
    MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;

}  // namespace

absl::Status MountLocal(MountOps& ops, const std::string& device,
                        const std::string& target, const std::string& type,
                        absl::string_view o) {
  absl::StatusOr<runtime::MountOptions> options =
      runtime::ParseMountOptions(absl::StrSplit(o, ',', absl::SkipEmpty()));
  if (!options.ok()) return options.status();
  absl::Status status =
      ops.Mount(device, target, type, options->flags, options->data);
  if (!status.ok()) return status;
  if ((options->flags & MS_BIND) != 0 &&
      (options->flags & kBindRemountFlags) != 0) {
    status = ops.Mount("", target, "",
                       MS_REMOUNT | MS_BIND | (options->flags & ~MS_REC),
                       options->data);
  }
  if (status.ok() && options->propagation != 0) {
    status = ops.Mount("", target, "", options->propagation, "");
  }
  if (!status.ok()) {
    // Best effort: the mount is unusable without its flags.
    ops.Unmount(target, MNT_DETACH).IgnoreError();
  }
  return status;
}

}  // namespace berth
