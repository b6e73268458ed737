#ifndef BERTH_SERVICES_RUNTIME_IN_ROOT_H_
#define BERTH_SERVICES_RUNTIME_IN_ROOT_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace berth::runtime {

// Path operations confined to a directory tree (a container's rootfs), so
// that a symlink or ".." in the image cannot reach the host. They resolve
// with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): an absolute
// symlink or "/.." stays inside the root, as it would after a chroot. On a
// kernel without openat2 they fall back to refusing symlinks and "..".
//
// The int-returning functions are async-signal-safe and allocation-free,
// for a freshly cloned child: they return a result >= 0 or -errno.

// Opens `path` inside `root_fd` with open(2) `flags` (O_CLOEXEC is added).
int OpenInRoot(int root_fd, const char* path, int flags, mode_t mode);

// mkdir -p inside the root. Directories it creates get `mode`, and are
// chowned to uid:gid unless uid is -1.
int MkdirAllInRoot(int root_fd, const char* path, mode_t mode,
                   uid_t uid = static_cast<uid_t>(-1),
                   gid_t gid = static_cast<gid_t>(-1));

// Makes sure something exists at `path` to mount a file on: creates its
// parents and an empty file with `mode` unless the path already exists.
int CreateFileInRoot(int root_fd, const char* path, mode_t mode);

// symlink(target, path) inside the root; an existing `path` is left alone.
int SymlinkInRoot(int root_fd, const char* target, const char* path);

// "/proc/self/fd/N" into `buf` (at least 32 bytes), to name an O_PATH fd
// to mount(2), which then acts on exactly the object the fd refers to.
const char* ProcFdPath(int fd, char* buf, size_t size);

// Reads `path` inside `root` (a host directory). NotFound if absent.
absl::StatusOr<std::string> ReadFileInRoot(const std::string& root,
                                           const std::string& path);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_IN_ROOT_H_
