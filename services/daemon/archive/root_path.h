#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_ROOT_PATH_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_ROOT_PATH_H_

// Paths inside a container's root directory, resolved the way the
// container itself would resolve them (as if the root were "/"), so that
// no symlink or ".." can reach the host: the docker cp family
// (StatInRoot, ArchiveFromRoot, ExtractToRoot) and the changes tar.

#include <sys/stat.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/daemon/archive/fs_util.h"

namespace berth::archive_internal {

// A path as the Docker API names a resource in a container (docker cp's
// `path` query parameter), read the way dockerd reads it.
struct ContainerPath {
  // Clean("/" + path): absolute and lexically cleaned, so "a/../b" is "/b"
  // and ".." never climbs above "/". Symlinks are not looked at here.
  std::string clean;
  // The path ends in "/" or "/." (or "." alone): it asserts a directory,
  // and a final symlink is followed rather than taken as itself.
  bool follow_final = false;
  // Go's filepath.Base of the path with the trailing "/" or "/." kept:
  // the last name, "." for a path ending in "/.", "/" for the root.
  // docker cp names the archive's top entry after it.
  std::string base;
};

// An empty path is INVALID_ARGUMENT, as dockerd's "path" form check has it.
absl::StatusOr<ContainerPath> ParseContainerPath(absl::string_view path);

// The object a ContainerPath names, found the way dockerd's lstat inside
// the container finds it: everything but the last name resolved in the
// root's scope, the last name taken as itself (a symlink is not
// followed) unless the path asserts a directory.
struct ResolvedPath {
  // The directory holding it, O_PATH.
  UniqueFd dir;
  // Its name in `dir`; "." when `dir` is the object itself.
  std::string name;
  struct stat st;
};

// Errors are ContainerPathError's, naming `user_path`.
absl::StatusOr<ResolvedPath> ResolveContainerPath(int root_fd,
                                                  const ContainerPath& path,
                                                  absl::string_view user_path);

// The parent of a clean absolute path ("/a/b" -> "/a", "/a" -> "/") and
// its last name ("b"); the root has no last name ("").
std::string CleanDir(absl::string_view clean);
std::string CleanBase(absl::string_view clean);

// Opens `rel` (relative, or "" for `dirfd` itself) beneath `dirfd`,
// refusing every symlink on the way: a final symlink is opened only as
// itself, with O_PATH | O_NOFOLLOW. openat2 with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS, or a component-by-component walk where openat2 is
// missing. Returns the new fd, or -errno.
int OpenBeneath(int dirfd, absl::string_view rel, int flags);

// Opens `path` as the container would if `root_fd` were its "/":
// symlinks, absolute ones included, and ".." are resolved inside the root
// (openat2 RESOLVE_IN_ROOT), so nothing outside it can be reached. A final
// symlink is followed unless `flags` has O_NOFOLLOW. Returns the new fd,
// or -errno.
int OpenInRoot(int root_fd, absl::string_view path, int flags);

// The same without openat2, for kernels or seccomp filters that lack it:
// EvalSymlinksInRoot, then OpenBeneath of the result, which fails rather
// than follows a symlink swapped in meanwhile. Exposed for tests.
int OpenInRootByWalk(int root_fd, absl::string_view path, int flags);

// Docker's FollowSymlinkInScope with the root as scope: `path` with every
// symlink on it resolved inside the root, as an absolute path in the
// container. Components that do not exist are kept as they are, so a
// dangling link still yields where it points. More than 255 links is
// INVALID_ARGUMENT.
absl::StatusOr<std::string> EvalSymlinksInRoot(int root_fd,
                                               absl::string_view path);

// The status for errno `err` met while resolving the user's `path` in a
// container, in words the docker CLI's user can act on.
absl::Status ContainerPathError(int err, absl::string_view path);

// Opens a container's root directory given by the daemon. Returns the fd
// or a status that says the root itself is unavailable (a daemon problem,
// INTERNAL), never NOT_FOUND, which would read as "no such path".
absl::StatusOr<UniqueFd> OpenContainerRoot(const std::string& root);

}  // namespace berth::archive_internal

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_ROOT_PATH_H_
