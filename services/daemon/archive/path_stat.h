#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_PATH_STAT_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_PATH_STAT_H_

#include <stdint.h>
#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// The response header of HEAD and GET /containers/{id}/archive: the
// base64 (standard alphabet, padded) of PathStatJson.
inline constexpr char kPathStatHeader[] = "X-Docker-Container-Path-Stat";

// Go's os.FileMode bits, as dockerd sends a file's mode.
inline constexpr uint32_t kGoModeDir = 1u << 31;
inline constexpr uint32_t kGoModeSymlink = 1u << 27;
inline constexpr uint32_t kGoModeDevice = 1u << 26;
inline constexpr uint32_t kGoModeNamedPipe = 1u << 25;
inline constexpr uint32_t kGoModeSocket = 1u << 24;
inline constexpr uint32_t kGoModeSetuid = 1u << 23;
inline constexpr uint32_t kGoModeSetgid = 1u << 22;
inline constexpr uint32_t kGoModeCharDevice = 1u << 21;
inline constexpr uint32_t kGoModeSticky = 1u << 20;

// A st_mode as Go's os.Lstat reports it: the permission bits, one type
// bit (a character device has both kGoModeDevice and kGoModeCharDevice, a
// regular file none), and setuid, setgid and sticky.
uint32_t GoFileMode(mode_t mode);

// Docker's container.PathStat.
struct PathStat {
  // Go's filepath.Base of the requested path: the last name, "." for a
  // path ending in "/.", "/" for the root.
  std::string name;
  int64_t size = 0;
  // GoFileMode of the lstat.
  uint32_t mode = 0;
  int64_t mtime_unix_nanos = 0;
  // Where a symlink leads, as an absolute path in the container with every
  // link on the way resolved inside it; empty unless the path names a
  // symlink itself.
  std::string link_target;
};

// Stats `path` (as the Docker API gives it) in the container whose root
// directory is `root`, as dockerd does for docker cp: the path is cleaned
// as an absolute path, every component but the last is resolved with
// symlinks followed inside the root (an absolute link or ".." never leaves
// it), and the last is not followed unless the path ends in "/" or "/.".
// A missing path is NOT_FOUND naming it, a path through a non-directory or
// a symlink loop INVALID_ARGUMENT.
absl::StatusOr<PathStat> StatInRoot(const std::string& root,
                                    absl::string_view path);

// The JSON dockerd writes for it (Go's encoding/json: fields in this
// order, strings escaped the Go way, mtime in RFC 3339 with nanoseconds
// and trailing zeros dropped, in UTC):
// {"name":"passwd","size":1234,"mode":420,"mtime":"2024-01-02T03:04:05Z",
//  "linkTarget":""}
std::string PathStatJson(const PathStat& stat);

// The value of kPathStatHeader: base64 of PathStatJson.
std::string PathStatHeaderValue(const PathStat& stat);

namespace archive_internal {

struct ContainerPath;
struct ResolvedPath;

// StatInRoot's answer for a path already resolved, so that ArchiveFromRoot
// reports the object it archives.
absl::StatusOr<PathStat> MakePathStat(int root_fd, const ContainerPath& path,
                                      const ResolvedPath& resolved);

}  // namespace archive_internal

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_PATH_STAT_H_
