#include "services/daemon/archive/archive_path.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/archive/fs_util.h"
#include "services/daemon/archive/root_path.h"
#include "services/daemon/archive/tar_writer.h"
#include "services/daemon/archive/whiteout.h"

namespace berth {

using archive_internal::ContainerPath;
using archive_internal::MakePathStat;
using archive_internal::OpenContainerRoot;
using archive_internal::ParseContainerPath;
using archive_internal::ResolveContainerPath;
using archive_internal::ResolvedPath;
using archive_internal::TarWriter;
using archive_internal::UniqueFd;

absl::Status ArchiveFromRoot(
    const std::string& root, absl::string_view path, ByteSink& out,
    const std::function<absl::Status(const PathStat&)>& on_stat) {
  BERTH_ASSIGN_OR_RETURN(ContainerPath parsed, ParseContainerPath(path));
  BERTH_ASSIGN_OR_RETURN(UniqueFd root_fd, OpenContainerRoot(root));
  BERTH_ASSIGN_OR_RETURN(ResolvedPath resolved,
                         ResolveContainerPath(root_fd.get(), parsed, path));
  if (on_stat) {
    BERTH_ASSIGN_OR_RETURN(PathStat stat,
                           MakePathStat(root_fd.get(), parsed, resolved));
    BERTH_RETURN_IF_ERROR(on_stat(stat));
  }
  // dockerd's rebasing: the walk's "." becomes the base name, except that
  // the root's becomes "" (so "/" and "/etc/...") rather than "/" twice.
  std::string top = parsed.base == "/" ? "" : parsed.base;
  TarWriter writer(WhiteoutMode::kApply, out);
  BERTH_RETURN_IF_ERROR(writer.Open());
  BERTH_RETURN_IF_ERROR(
      writer.WriteEntry(resolved.dir.get(), resolved.name, top, resolved.st));
  if (S_ISDIR(resolved.st.st_mode)) {
    UniqueFd dir(openat(resolved.dir.get(), resolved.name.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (dir.get() < 0) {
      return ErrnoStatus(errno, absl::StrCat("open ", path));
    }
    BERTH_RETURN_IF_ERROR(writer.WriteTree(dir.get(), top + "/"));
  }
  return writer.Close();
}

}  // namespace berth
