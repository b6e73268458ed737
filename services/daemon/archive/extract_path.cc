#include "services/daemon/archive/extract_path.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/archive/apply_layer.h"
#include "services/daemon/archive/fs_util.h"
#include "services/daemon/archive/root_path.h"

namespace berth {

using archive_internal::ContainerPath;
using archive_internal::ContainerPathError;
using archive_internal::OpenContainerRoot;
using archive_internal::OpenInRoot;
using archive_internal::ParseContainerPath;
using archive_internal::UniqueFd;

absl::Status ExtractToRoot(const std::string& root, absl::string_view path,
                           ByteSource& in, const ExtractOptions& options) {
  BERTH_ASSIGN_OR_RETURN(ContainerPath parsed, ParseContainerPath(path));
  BERTH_ASSIGN_OR_RETURN(UniqueFd root_fd, OpenContainerRoot(root));
  int fd = OpenInRoot(root_fd.get(), parsed.clean, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    int err = -fd;
    if (err == ENOTDIR) {
      // Docker says this whether the destination or a directory on the
      // way to it is something else.
      return absl::InvalidArgumentError(
          absl::StrCat("extraction point is not a directory: ", path));
    }
    return ContainerPathError(err, path);
  }
  UniqueFd dest(fd);
  struct statvfs fs;
  if (fstatvfs(dest.get(), &fs) == 0 && (fs.f_flag & ST_RDONLY)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot copy to ", path, ": the container's filesystem is read-only"));
  }

  ApplyOptions apply;
  apply.whiteouts = WhiteoutMode::kApply;
  apply.interpret_whiteouts = false;
  apply.apply_root_entry = false;
  apply.compute_diff_id = false;
  apply.allow_devices = options.allow_devices;
  apply.no_overwrite_dir_non_dir = options.no_overwrite_dir_non_dir;
  if (options.copy_uid_gid) {
    apply.owner = FileOwner{options.uid, options.gid};
  }
  apply.noun = "archive";
  absl::StatusOr<ApplyStats> stats = ApplyLayerAt(in, dest.get(), apply);
  if (!stats.ok()) {
    return absl::Status(stats.status().code(),
                        absl::StrCat("cannot copy to ", path, " in the ",
                                     "container: ", stats.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace berth
