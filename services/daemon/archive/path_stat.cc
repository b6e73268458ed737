#include "services/daemon/archive/path_stat.h"

#include <sys/stat.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/docker/json_escape.h"
#include "lib/docker/timestamp.h"
#include "services/daemon/archive/fs_util.h"
#include "services/daemon/archive/root_path.h"

namespace berth {

using archive_internal::ContainerPath;
using archive_internal::EvalSymlinksInRoot;
using archive_internal::MakePathStat;
using archive_internal::OpenContainerRoot;
using archive_internal::ParseContainerPath;
using archive_internal::ResolveContainerPath;
using archive_internal::ResolvedPath;
using archive_internal::UniqueFd;

uint32_t GoFileMode(mode_t mode) {
  uint32_t out = mode & 0777;
  switch (mode & S_IFMT) {
    case S_IFBLK:
      out |= kGoModeDevice;
      break;
    case S_IFCHR:
      out |= kGoModeDevice | kGoModeCharDevice;
      break;
    case S_IFDIR:
      out |= kGoModeDir;
      break;
    case S_IFIFO:
      out |= kGoModeNamedPipe;
      break;
    case S_IFLNK:
      out |= kGoModeSymlink;
      break;
    case S_IFSOCK:
      out |= kGoModeSocket;
      break;
    default:  // S_IFREG
      break;
  }
  if (mode & S_ISUID) out |= kGoModeSetuid;
  if (mode & S_ISGID) out |= kGoModeSetgid;
  if (mode & S_ISVTX) out |= kGoModeSticky;
  return out;
}

namespace archive_internal {

absl::StatusOr<PathStat> MakePathStat(int root_fd, const ContainerPath& path,
                                      const ResolvedPath& resolved) {
  PathStat stat;
  stat.name = path.base;
  stat.size = resolved.st.st_size;
  stat.mode = GoFileMode(resolved.st.st_mode);
  stat.mtime_unix_nanos =
      static_cast<int64_t>(resolved.st.st_mtim.tv_sec) * 1000000000 +
      resolved.st.st_mtim.tv_nsec;
  if (S_ISLNK(resolved.st.st_mode)) {
    BERTH_ASSIGN_OR_RETURN(stat.link_target,
                           EvalSymlinksInRoot(root_fd, path.clean));
  }
  return stat;
}

}  // namespace archive_internal

absl::StatusOr<PathStat> StatInRoot(const std::string& root,
                                    absl::string_view path) {
  BERTH_ASSIGN_OR_RETURN(ContainerPath parsed, ParseContainerPath(path));
  BERTH_ASSIGN_OR_RETURN(UniqueFd root_fd, OpenContainerRoot(root));
  BERTH_ASSIGN_OR_RETURN(ResolvedPath resolved,
                         ResolveContainerPath(root_fd.get(), parsed, path));
  return MakePathStat(root_fd.get(), parsed, resolved);
}

std::string PathStatJson(const PathStat& stat) {
  std::string out = "{\"name\":";
  AppendJsonString(stat.name, &out);
  absl::StrAppend(&out, ",\"size\":", stat.size, ",\"mode\":", stat.mode,
                  ",\"mtime\":\"", FormatRfc3339Nano(stat.mtime_unix_nanos),
                  "\",\"linkTarget\":");
  AppendJsonString(stat.link_target, &out);
  out += "}";
  return out;
}

std::string PathStatHeaderValue(const PathStat& stat) {
  return absl::Base64Escape(PathStatJson(stat));
}

}  // namespace berth
