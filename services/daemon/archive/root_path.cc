#include "services/daemon/archive/root_path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/files.h"

namespace berth::archive_internal {
namespace {

// Linux's own limit on symlinks in one resolution is 40; FollowSymlinkInScope
// allows 255.
constexpr int kMaxLinks = 255;

// Cleared for good the first time openat2 turns out to be unavailable
// (an old kernel, or a seccomp filter that answers ENOSYS or EPERM).
std::atomic<bool> have_openat2{true};

long OpenAt2(int dirfd, const char* path, int flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = resolve;
  long fd;
  int attempts = 0;
  do {
    fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    // EAGAIN: a rename raced with RESOLVE_IN_ROOT's ".." check; retry.
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++attempts < 16);
  return fd;
}

bool Openat2Missing(int err) { return err == ENOSYS || err == EPERM; }

std::vector<std::string> Components(absl::string_view path) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    parts.emplace_back(part);
  }
  return parts;
}

// Go's filepath.Base.
std::string GoBase(absl::string_view path) {
  if (path.empty()) return ".";
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return "/";
  size_t slash = path.rfind('/');
  if (slash != absl::string_view::npos) path.remove_prefix(slash + 1);
  return std::string(path);
}

}  // namespace

absl::StatusOr<ContainerPath> ParseContainerPath(absl::string_view path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "a path in the container is required (the \"path\" parameter is "
        "empty)");
  }
  if (path.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "the path in the container contains a NUL byte");
  }
  // Go's path.Clean of "/" + path: ".." is lexical and stops at "/".
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  ContainerPath out;
  out.clean = absl::StrCat("/", absl::StrJoin(parts, "/"));
  // Docker's PreserveTrailingDotOrSeparator: a trailing "." or "/" of the
  // request survives the cleaning, and with it the assertion that the
  // path is a directory to look into.
  std::string preserved = out.clean;
  if (GoBase(path) == ".") {
    if (preserved.back() != '/') preserved += '/';
    preserved += '.';
  }
  if (path.back() == '/' && preserved.back() != '/') preserved += '/';
  out.base = GoBase(preserved);
  out.follow_final = preserved.back() == '/' || out.base == ".";
  return out;
}

std::string CleanDir(absl::string_view clean) {
  size_t slash = clean.rfind('/');
  if (slash == absl::string_view::npos || slash == 0) return "/";
  return std::string(clean.substr(0, slash));
}

std::string CleanBase(absl::string_view clean) {
  size_t slash = clean.rfind('/');
  return std::string(
      slash == absl::string_view::npos ? clean : clean.substr(slash + 1));
}

int OpenBeneath(int dirfd, absl::string_view rel, int flags) {
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  std::string path = rel.empty() ? "." : std::string(rel);
  if (have_openat2.load(std::memory_order_relaxed)) {
    long fd =
        OpenAt2(dirfd, path.c_str(), flags,
                RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (fd >= 0) return static_cast<int>(fd);
    if (!Openat2Missing(errno)) return -errno;
    have_openat2.store(false, std::memory_order_relaxed);
  }
  // One component at a time, none of them followed.
  std::vector<std::string> parts = Components(path);
  for (const std::string& part : parts) {
    if (part == "..") return -EXDEV;  // what RESOLVE_BENEATH says
  }
  if (parts.empty()) {
    int fd = openat(dirfd, ".", flags | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
  }
  UniqueFd current;
  int at = dirfd;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    int fd = openat(at, parts[i].c_str(),
                    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      struct stat st;
      // A symlink met on the way is ELOOP under RESOLVE_NO_SYMLINKS.
      if (err == ENOTDIR &&
          fstatat(at, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(st.st_mode)) {
        err = ELOOP;
      }
      return -err;
    }
    current = UniqueFd(fd);
    at = fd;
  }
  int fd = openat(at, parts.back().c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
  return fd >= 0 ? fd : -errno;
}

int OpenInRoot(int root_fd, absl::string_view path, int flags) {
  if (have_openat2.load(std::memory_order_relaxed)) {
    std::string p = path.empty() ? "/" : std::string(path);
    long fd = OpenAt2(root_fd, p.c_str(), flags,
                      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd >= 0) return static_cast<int>(fd);
    if (!Openat2Missing(errno)) return -errno;
    have_openat2.store(false, std::memory_order_relaxed);
  }
  return OpenInRootByWalk(root_fd, path, flags);
}

int OpenInRootByWalk(int root_fd, absl::string_view path, int flags) {
  std::vector<std::string> parts = Components(path);
  std::string last;
  // With O_NOFOLLOW a plain last name is opened as itself: only what
  // leads to it is resolved.
  if ((flags & O_NOFOLLOW) && !parts.empty() && parts.back() != "." &&
      parts.back() != "..") {
    last = std::move(parts.back());
    parts.pop_back();
  }
  absl::StatusOr<std::string> dir =
      EvalSymlinksInRoot(root_fd, absl::StrJoin(parts, "/"));
  if (!dir.ok()) return absl::IsInvalidArgument(dir.status()) ? -ELOOP : -EIO;
  return OpenBeneath(
      root_fd, last.empty() ? *dir : absl::StrCat(*dir, "/", last), flags);
}

absl::StatusOr<std::string> EvalSymlinksInRoot(int root_fd,
                                               absl::string_view path) {
  std::deque<std::string> todo;
  for (std::string& part : Components(path)) todo.push_back(std::move(part));
  std::vector<std::string> resolved;
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      // Lexical, and never above the root, as inside a chroot.
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    // `resolved` holds no symlinks: open it without following any.
    UniqueFd dir(OpenBeneath(root_fd, absl::StrJoin(resolved, "/"),
                             O_PATH | O_DIRECTORY));
    struct stat st;
    if (dir.get() < 0 ||
        fstatat(dir.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      int err = dir.get() < 0 ? -dir.get() : errno;
      // What does not exist (yet) is taken as it is written.
      if (err == ENOENT || err == ENOTDIR) {
        resolved.push_back(std::move(part));
        continue;
      }
      return ErrnoStatus(
          err, absl::StrCat("resolve ", "/", absl::StrJoin(resolved, "/")));
    }
    if (!S_ISLNK(st.st_mode)) {
      resolved.push_back(std::move(part));
      continue;
    }
    if (++links > kMaxLinks) {
      return absl::InvalidArgumentError(absl::StrCat(
          "too many levels of symbolic links in ", std::string(path)));
    }
    std::string link(std::max<off_t>(st.st_size, 255) + 1, '\0');
    ssize_t n;
    while (true) {
      n = readlinkat(dir.get(), part.c_str(), link.data(), link.size());
      if (n < 0) {
        return ErrnoStatus(errno, absl::StrCat("readlink ", part));
      }
      if (static_cast<size_t>(n) < link.size()) break;
      link.resize(link.size() * 2);
    }
    link.resize(n);
    if (!link.empty() && link.front() == '/') resolved.clear();
    std::vector<std::string> more = Components(link);
    todo.insert(todo.begin(), more.begin(), more.end());
  }
  return absl::StrCat("/", absl::StrJoin(resolved, "/"));
}

absl::StatusOr<ResolvedPath> ResolveContainerPath(int root_fd,
                                                  const ContainerPath& path,
                                                  absl::string_view user_path) {
  // Asserting a directory (or naming the root), the path is opened
  // itself, its last symlink followed; otherwise its parent is, and the
  // last name is looked at without following it.
  bool itself = path.follow_final || path.clean == "/";
  int fd = OpenInRoot(root_fd, itself ? path.clean : CleanDir(path.clean),
                      O_PATH | O_DIRECTORY);
  if (fd < 0) return ContainerPathError(-fd, user_path);
  ResolvedPath out{UniqueFd(fd),
                   itself ? std::string(1, '.') : CleanBase(path.clean)};
  if (fstatat(out.dir.get(), out.name.c_str(), &out.st, AT_SYMLINK_NOFOLLOW) !=
      0) {
    return ContainerPathError(errno, user_path);
  }
  return out;
}

absl::Status ContainerPathError(int err, absl::string_view path) {
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(
          absl::StrCat("Could not find the file ", path, " in the container"));
    case ENOTDIR:
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": a component of the path is not a directory"));
    case ELOOP:
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": too many levels of symbolic links"));
    case ENAMETOOLONG:
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": file name too long"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(
          absl::StrCat(path, ": permission denied"));
    default:
      return ErrnoStatus(err, std::string(path));
  }
}

absl::StatusOr<UniqueFd> OpenContainerRoot(const std::string& root) {
  int fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("the container's root filesystem ", root,
                     " cannot be opened: ", strerror(errno)));
  }
  return UniqueFd(fd);
}

}  // namespace berth::archive_internal
