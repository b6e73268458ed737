#include "services/daemon/graphdriver/fs_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"

namespace berth {
namespace {

// An fd closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The names in the directory open as `dir_fd`, without "." and "..".
absl::StatusOr<std::vector<std::string>> ListDir(int dir_fd,
                                                 const std::string& path) {
  int dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ErrnoStatus(errno, absl::StrCat("dup fd of ", path));
  DIR* dir = fdopendir(dup_fd);
  if (dir == nullptr) {
    int err = errno;
    close(dup_fd);
    return ErrnoStatus(err, absl::StrCat("opendir ", path));
  }
  rewinddir(dir);
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    struct dirent* ent = readdir(dir);
    if (ent == nullptr) {
      int err = errno;
      closedir(dir);
      if (err != 0) return ErrnoStatus(err, absl::StrCat("readdir ", path));
      return names;
    }
    std::string name = ent->d_name;
    if (name == "." || name == "..") continue;
    names.push_back(std::move(name));
  }
}

absl::Status WriteAll(int fd, const char* data, size_t size,
                      const std::string& path) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("write ", path));
    }
    data += n;
    size -= n;
  }
  return absl::OkStatus();
}

absl::Status ReadWriteCopy(int in, int out, const std::string& src,
                           const std::string& dst) {
  if (lseek(in, 0, SEEK_SET) < 0 || lseek(out, 0, SEEK_SET) < 0 ||
      ftruncate(out, 0) != 0) {
    return ErrnoStatus(errno, absl::StrCat("rewind for copying ", src));
  }
  std::vector<char> buf(1 << 17);
  while (true) {
    ssize_t n = read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("read ", src));
    }
    if (n == 0) return absl::OkStatus();
    BERTH_RETURN_IF_ERROR(WriteAll(out, buf.data(), n, dst));
  }
}

// Copies the data of `in` to the empty file `out`.
absl::Status CopyData(int in, int out, const std::string& src,
                      const std::string& dst) {
  if (ioctl(out, FICLONE, in) == 0) return absl::OkStatus();
  bool first = true;
  while (true) {
    ssize_t n = copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Not supported between these files or filesystems: plain copy.
      if (first && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                    errno == EOPNOTSUPP || errno == EBADF || errno == EPERM)) {
        return ReadWriteCopy(in, out, src, dst);
      }
      return ErrnoStatus(errno, absl::StrCat("copy ", src, " to ", dst));
    }
    if (n == 0) return absl::OkStatus();
    first = false;
  }
}

bool XattrUnsupported(int err) { return err == EOPNOTSUPP || err == ENOTSUP; }

absl::Status CopyXattrs(const std::string& src, const std::string& dst) {
  std::vector<char> names;
  while (true) {
    ssize_t size = llistxattr(src.c_str(), nullptr, 0);
    if (size < 0) {
      if (XattrUnsupported(errno)) return absl::OkStatus();
      return ErrnoStatus(errno, absl::StrCat("list xattrs of ", src));
    }
    if (size == 0) return absl::OkStatus();
    names.resize(size);
    size = llistxattr(src.c_str(), names.data(), names.size());
    if (size < 0) {
      if (errno == ERANGE) continue;  // Grew in between.
      return ErrnoStatus(errno, absl::StrCat("list xattrs of ", src));
    }
    names.resize(size);
    break;
  }
  std::vector<char> value;
  for (size_t pos = 0; pos < names.size();) {
    const char* name = names.data() + pos;
    pos += strnlen(name, names.size() - pos) + 1;
    ssize_t size;
    while (true) {
      size = lgetxattr(src.c_str(), name, nullptr, 0);
      if (size < 0) break;
      value.resize(size);
      size = lgetxattr(src.c_str(), name, value.data(), value.size());
      if (size < 0 && errno == ERANGE) continue;
      break;
    }
    if (size < 0) {
      if (errno == ENODATA) continue;  // Removed in between.
      return ErrnoStatus(errno, absl::StrCat("read xattr ", name, " of ", src));
    }
    if (lsetxattr(dst.c_str(), name, value.data(), size, 0) != 0) {
      if (XattrUnsupported(errno)) continue;
      return ErrnoStatus(errno, absl::StrCat("set xattr ", name, " on ", dst));
    }
  }
  return absl::OkStatus();
}

class TreeCopier {
 public:
  absl::Status Copy(const std::string& src, const std::string& dst) {
    struct stat st;
    if (lstat(src.c_str(), &st) != 0) {
      return ErrnoStatus(errno, absl::StrCat("copy source ", src));
    }
    if (!S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("copy source ", src, " is not a directory"));
    }
    if (mkdir(dst.c_str(), 0700) != 0) {
      return ErrnoStatus(errno, absl::StrCat("create ", dst));
    }
    Fd src_fd(open(src.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (src_fd.get() < 0) return ErrnoStatus(errno, absl::StrCat("open ", src));
    Fd dst_fd(open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dst_fd.get() < 0) return ErrnoStatus(errno, absl::StrCat("open ", dst));
    BERTH_RETURN_IF_ERROR(
        CopyContents(src_fd.get(), src, dst_fd.get(), dst, st.st_dev));
    return ApplyMetadata(AT_FDCWD, dst, st, src, dst);
  }

 private:
  absl::Status CopyContents(int src_fd, const std::string& src_path, int dst_fd,
                            const std::string& dst_path, dev_t dev) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names,
                           ListDir(src_fd, src_path));
    for (const std::string& name : names) {
      BERTH_RETURN_IF_ERROR(CopyEntry(src_fd, absl::StrCat(src_path, "/", name),
                                      dst_fd, absl::StrCat(dst_path, "/", name),
                                      name, dev));
    }
    return absl::OkStatus();
  }

  absl::Status CopyEntry(int src_dir, const std::string& src, int dst_dir,
                         const std::string& dst, const std::string& name,
                         dev_t dev) {
    struct stat st;
    if (fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, absl::StrCat("stat ", src));
    }
    const char* n = name.c_str();
    std::pair<dev_t, ino_t> key(st.st_dev, st.st_ino);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto it = links_.find(key);
      if (it != links_.end()) {
        if (linkat(AT_FDCWD, it->second.c_str(), dst_dir, n, 0) != 0) {
          return ErrnoStatus(
              errno, absl::StrCat("hardlink ", dst, " to ", it->second));
        }
        return absl::OkStatus();
      }
    }
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR: {
        if (st.st_dev != dev) {
          return absl::FailedPreconditionError(
              absl::StrCat("refusing to copy ", src,
                           ": it is a mount point of another filesystem"));
        }
        if (mkdirat(dst_dir, n, 0700) != 0) {
          return ErrnoStatus(errno, absl::StrCat("mkdir ", dst));
        }
        Fd sub_src(openat(src_dir, n,
                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sub_src.get() < 0) {
          return ErrnoStatus(errno, absl::StrCat("open ", src));
        }
        Fd sub_dst(openat(dst_dir, n,
                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (sub_dst.get() < 0) {
          return ErrnoStatus(errno, absl::StrCat("open ", dst));
        }
        BERTH_RETURN_IF_ERROR(
            CopyContents(sub_src.get(), src, sub_dst.get(), dst, dev));
        break;
      }
      case S_IFREG: {
        Fd in(openat(src_dir, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (in.get() < 0) return ErrnoStatus(errno, absl::StrCat("open ", src));
        Fd out(
            openat(dst_dir, n, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (out.get() < 0) {
          return ErrnoStatus(errno, absl::StrCat("create ", dst));
        }
        if (st.st_size > 0) {
          BERTH_RETURN_IF_ERROR(CopyData(in.get(), out.get(), src, dst));
        }
        break;
      }
      case S_IFLNK: {
        std::string target(st.st_size > 0 ? st.st_size + 1 : 256, '\0');
        while (true) {
          ssize_t len = readlinkat(src_dir, n, target.data(), target.size());
          if (len < 0) {
            return ErrnoStatus(errno, absl::StrCat("readlink ", src));
          }
          if (static_cast<size_t>(len) < target.size()) {
            target.resize(len);
            break;
          }
          target.resize(target.size() * 2);
        }
        if (symlinkat(target.c_str(), dst_dir, n) != 0) {
          return ErrnoStatus(errno, absl::StrCat("symlink ", dst));
        }
        break;
      }
      case S_IFCHR:
      case S_IFBLK:
      case S_IFIFO:
      case S_IFSOCK:
        if (mknodat(dst_dir, n, (st.st_mode & S_IFMT) | 0600, st.st_rdev) !=
            0) {
          return ErrnoStatus(errno, absl::StrCat("mknod ", dst));
        }
        break;
      default:
        return absl::UnimplementedError(absl::StrFormat(
            "cannot copy %s: unknown file type 0%o", src, st.st_mode & S_IFMT));
    }
    BERTH_RETURN_IF_ERROR(ApplyMetadata(dst_dir, name, st, src, dst));
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) links_.emplace(key, dst);
    return absl::OkStatus();
  }

  // Owner, mode, xattrs, then times, on `name` in `dir_fd` (never
  // following a symlink).
  static absl::Status ApplyMetadata(int dir_fd, const std::string& name,
                                    const struct stat& st,
                                    const std::string& src,
                                    const std::string& dst) {
    const char* n = name.c_str();
    // chown first: it clears setuid/setgid and file capabilities.
    if (fchownat(dir_fd, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, absl::StrFormat("chown %s to %d:%d", dst,
                                                st.st_uid, st.st_gid));
    }
    if (!S_ISLNK(st.st_mode) &&
        fchmodat(dir_fd, n, st.st_mode & 07777, 0) != 0) {
      return ErrnoStatus(
          errno, absl::StrFormat("chmod %s to 0%o", dst, st.st_mode & 07777));
    }
    BERTH_RETURN_IF_ERROR(CopyXattrs(src, dst));
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (utimensat(dir_fd, n, times, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, absl::StrCat("set times of ", dst));
    }
    return absl::OkStatus();
  }

  // First copy of each multiply-linked source inode.
  absl::flat_hash_map<std::pair<dev_t, ino_t>, std::string> links_;
};

absl::Status RemoveContents(int dir_fd, const std::string& path, dev_t dev) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir_fd, path));
  for (const std::string& name : names) {
    std::string child = absl::StrCat(path, "/", name);
    struct stat st;
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return ErrnoStatus(errno, absl::StrCat("stat ", child));
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) {
        return absl::FailedPreconditionError(
            absl::StrCat("refusing to remove ", child,
                         ": it is a mount point; unmount it first"));
      }
      Fd sub(openat(dir_fd, name.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.get() < 0)
        return ErrnoStatus(errno, absl::StrCat("open ", child));
      BERTH_RETURN_IF_ERROR(RemoveContents(sub.get(), child, dev));
      if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 &&
          errno != ENOENT) {
        return ErrnoStatus(errno, absl::StrCat("rmdir ", child));
      }
    } else if (unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, absl::StrCat("unlink ", child));
    }
  }
  return absl::OkStatus();
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::Status CopyTree(const std::string& src, const std::string& dst) {
  TreeCopier copier;
  return copier.Copy(src, dst);
}

absl::Status RemoveTree(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, absl::StrCat("stat ", path));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, absl::StrCat("unlink ", path));
    }
    return absl::OkStatus();
  }
  struct stat parent;
  if (stat(ParentDir(path).c_str(), &parent) == 0 &&
      parent.st_dev != st.st_dev) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to remove ", path,
                     ": it is a mount point; unmount it first"));
  }
  {
    Fd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
    BERTH_RETURN_IF_ERROR(RemoveContents(fd.get(), path, st.st_dev));
  }
  if (rmdir(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("rmdir ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BackingFsName(const std::string& path) {
  struct statfs fs;
  if (statfs(path.c_str(), &fs) != 0) {
    return ErrnoStatus(errno, absl::StrCat("statfs ", path));
  }
  switch (static_cast<uint32_t>(fs.f_type)) {
    case 0xEF53:
      return std::string("extfs");
    case 0x58465342:
      return std::string("xfs");
    case 0x9123683E:
      return std::string("btrfs");
    case 0x01021994:
      return std::string("tmpfs");
    case 0x794C7630:
      return std::string("overlayfs");
    case 0x2FC12FC1:
      return std::string("zfs");
    case 0xF2F52010:
      return std::string("f2fs");
    case 0x6969:
      return std::string("nfs");
    case 0x65735546:
      return std::string("fuse");
    default:
      return absl::StrFormat("<unknown 0x%x>",
                             static_cast<uint32_t>(fs.f_type));
  }
}

absl::StatusOr<bool> SupportsDType(const std::string& dir) {
  std::string scratch = absl::StrCat(dir, "/.dtype-check-XXXXXX");
  if (mkdtemp(scratch.data()) == nullptr) {
    return ErrnoStatus(errno, absl::StrCat("create a scratch dir in ", dir));
  }
  absl::Cleanup remove = [&scratch] { (void)RemoveTree(scratch); };
  std::string sub = absl::StrCat(scratch, "/d");
  if (mkdir(sub.c_str(), 0700) != 0) {
    return ErrnoStatus(errno, absl::StrCat("mkdir ", sub));
  }
  DIR* d = opendir(scratch.c_str());
  if (d == nullptr)
    return ErrnoStatus(errno, absl::StrCat("opendir ", scratch));
  bool supported = false;
  while (struct dirent* ent = readdir(d)) {
    if (std::string(ent->d_name) == "d") supported = ent->d_type == DT_DIR;
  }
  closedir(d);
  return supported;
}

}  // namespace berth
