#include "services/runtime/in_root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"

namespace berth::runtime {
namespace {

// openat2 missing (old kernel, or a seccomp filter answering ENOSYS). A
// plain int: a race only means one more failed openat2.
int openat2_missing = 0;

// One component at a time, refusing symlinks and "..": stricter than
// RESOLVE_IN_ROOT but never unsafe.
int OpenWalking(int root_fd, const char* path, int flags, mode_t mode) {
  char buf[PATH_MAX];
  size_t len = strlen(path);
  if (len >= sizeof(buf)) return -ENAMETOOLONG;
  memcpy(buf, path, len + 1);
  int cur = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0) return -errno;
  char* p = buf;
  while (true) {
    while (*p == '/') ++p;
    char* end = p;
    while (*end != '\0' && *end != '/') ++end;
    char* next = end;
    while (*next == '/') ++next;
    bool last = *next == '\0';
    *end = '\0';
    if (strcmp(p, "..") == 0) {
      close(cur);
      return -EXDEV;
    }
    if (*p == '\0' || strcmp(p, ".") == 0) {
      if (last) {
        int fd = openat(cur, ".", flags | O_CLOEXEC, mode);
        int err = errno;
        close(cur);
        return fd >= 0 ? fd : -err;
      }
      p = next;
      continue;
    }
    if (last) {
      int fd = openat(cur, p, flags | O_NOFOLLOW | O_CLOEXEC, mode);
      int err = errno;
      close(cur);
      return fd >= 0 ? fd : -err;
    }
    int fd = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    close(cur);
    if (fd < 0) return -err;
    cur = fd;
    p = next;
  }
}

// Splits `path` (copied into `buf`) at its last component: `*dir` is the
// parent ("." when none) and `*base` the last name. -EINVAL for "/".
int SplitLast(const char* path, char* buf, size_t size, const char** dir,
              const char** base) {
  size_t len = strlen(path);
  if (len >= size) return -ENAMETOOLONG;
  memcpy(buf, path, len + 1);
  while (len > 0 && buf[len - 1] == '/') buf[--len] = '\0';
  if (len == 0) return -EINVAL;
  char* slash = strrchr(buf, '/');
  if (slash == nullptr) {
    *dir = ".";
    *base = buf;
  } else {
    *slash = '\0';
    *dir = slash == buf ? "/" : buf;
    *base = slash + 1;
  }
  return 0;
}

}  // namespace

int OpenInRoot(int root_fd, const char* path, int flags, mode_t mode) {
  if (*path == '\0') path = ".";
  if (!openat2_missing) {
    open_how how = {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != ENOSYS) return -errno;
    openat2_missing = 1;
  }
  return OpenWalking(root_fd, path, flags, mode);
}

int MkdirAllInRoot(int root_fd, const char* path, mode_t mode, uid_t uid,
                   gid_t gid) {
  char buf[PATH_MAX];
  size_t len = strlen(path);
  if (len >= sizeof(buf)) return -ENAMETOOLONG;
  memcpy(buf, path, len + 1);
  int hops = 0;
  size_t pos = 0;
  while (true) {
    while (pos < len && buf[pos] == '/') ++pos;
    if (pos >= len) return 0;
    size_t start = pos;
    while (pos < len && buf[pos] != '/') ++pos;
    // buf[0, pos) is the prefix to make sure of; buf[start, pos) its name.
    char saved = buf[pos];
    buf[pos] = '\0';
    int fd = OpenInRoot(root_fd, buf, O_PATH | O_DIRECTORY, 0);
    if (fd >= 0) {
      close(fd);
      buf[pos] = saved;
      continue;
    }
    if (fd != -ENOENT) return fd;
    char parent_path[PATH_MAX];
    memcpy(parent_path, buf, start);
    parent_path[start] = '\0';
    int parent = OpenInRoot(root_fd, parent_path, O_PATH | O_DIRECTORY, 0);
    if (parent < 0) return parent;
    const char* name = buf + start;
    if (mkdirat(parent, name, mode) == 0) {
      int err = 0;
      if (uid != static_cast<uid_t>(-1) &&
          fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
        err = errno;
      }
      close(parent);
      if (err != 0) return -err;
      buf[pos] = saved;
      pos = start;  // open it again, through whatever is there now
      continue;
    }
    int err = errno;
    if (err != EEXIST) {
      close(parent);
      return -err;
    }
    // A dangling symlink (or a racing mkdir). Follow the link inside the
    // root, as the kernel would after a chroot, and create its target:
    // the path becomes the link's target plus what followed it.
    char target[PATH_MAX];
    ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
    err = errno;
    close(parent);
    if (n < 0) {
      if (err == EINVAL) {  // not a symlink: someone made it meanwhile
        buf[pos] = saved;
        pos = start;
        if (++hops > 40) return -ELOOP;
        continue;
      }
      return -err;
    }
    target[n] = '\0';
    if (++hops > 40) return -ELOOP;
    buf[pos] = saved;
    char next[PATH_MAX];
    int used = target[0] == '/'
                   ? snprintf(next, sizeof(next), "%s/%s", target, buf + pos)
                   : snprintf(next, sizeof(next), "%s/%s/%s", parent_path,
                              target, buf + pos);
    if (used < 0 || static_cast<size_t>(used) >= sizeof(next)) {
      return -ENAMETOOLONG;
    }
    memcpy(buf, next, used + 1);
    len = used;
    pos = 0;
  }
}

int CreateFileInRoot(int root_fd, const char* path, mode_t mode) {
  int fd = OpenInRoot(root_fd, path, O_PATH, 0);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  if (fd != -ENOENT) return fd;
  char buf[PATH_MAX];
  const char* dir;
  const char* base;
  if (int rc = SplitLast(path, buf, sizeof(buf), &dir, &base); rc < 0) {
    return rc;
  }
  if (int rc = MkdirAllInRoot(root_fd, dir, 0755); rc < 0) return rc;
  fd = OpenInRoot(root_fd, path, O_CREAT | O_EXCL | O_WRONLY, mode);
  if (fd == -EEXIST) return 0;
  if (fd < 0) return fd;
  close(fd);
  return 0;
}

int SymlinkInRoot(int root_fd, const char* target, const char* path) {
  char buf[PATH_MAX];
  const char* dir;
  const char* base;
  if (int rc = SplitLast(path, buf, sizeof(buf), &dir, &base); rc < 0) {
    return rc;
  }
  if (int rc = MkdirAllInRoot(root_fd, dir, 0755); rc < 0) return rc;
  int parent = OpenInRoot(root_fd, dir, O_PATH | O_DIRECTORY, 0);
  if (parent < 0) return parent;
  int rc = symlinkat(target, parent, base);
  int err = errno;
  close(parent);
  if (rc != 0 && err != EEXIST) return -err;
  return 0;
}

const char* ProcFdPath(int fd, char* buf, size_t size) {
  snprintf(buf, size, "/proc/self/fd/%d", fd);
  return buf;
}

absl::StatusOr<std::string> ReadFileInRoot(const std::string& root,
                                           const std::string& path) {
  int root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", root));
  int fd = OpenInRoot(root_fd, path.c_str(), O_RDONLY, 0);
  close(root_fd);
  if (fd < 0) {
    return ErrnoStatus(-fd, absl::StrCat("open ", path, " in ", root));
  }
  std::string out;
  char chunk[16384];
  while (true) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return ErrnoStatus(err, absl::StrCat("read ", path, " in ", root));
    }
    if (n == 0) break;
    out.append(chunk, n);
  }
  close(fd);
  return out;
}

}  // namespace berth::runtime
