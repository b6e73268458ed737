#include "services/daemon/archive/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/archive/fs_util.h"

namespace berth::archive_internal {
namespace {

constexpr size_t kBufferSize = 1 << 20;
// Each level keeps a directory open.
constexpr int kMaxDepth = 1024;

}  // namespace

void TarWriter::EntryDeleter::operator()(archive_entry* entry) const {
  archive_entry_free(entry);
}

TarWriter::TarWriter(WhiteoutMode mode, ByteSink& out)
    : mode_(mode), out_(out), buf_(new char[kBufferSize]) {}

TarWriter::~TarWriter() {
  if (archive_ != nullptr) archive_write_free(archive_);
}

ssize_t TarWriter::WriteCallback(archive* a, void* self, const void* buf,
                                 size_t size) {
  auto* writer = static_cast<TarWriter*>(self);
  absl::Status status = writer->out_.Write(
      absl::string_view(static_cast<const char*>(buf), size));
  if (!status.ok()) {
    writer->sink_error_ = status;
    archive_set_error(a, EIO, "writing the tar stream failed");
    return -1;
  }
  return static_cast<ssize_t>(size);
}

absl::Status TarWriter::Error(absl::string_view what) const {
  if (!sink_error_.ok()) return sink_error_;
  const char* message = archive_error_string(archive_);
  return absl::InternalError(absl::StrCat(
      what, ": ", message != nullptr ? message : "unknown libarchive error"));
}

absl::Status TarWriter::Open() {
  archive_ = archive_write_new();
  if (archive_ == nullptr) {
    return absl::ResourceExhaustedError("archive_write_new");
  }
  // Restricted PAX: plain ustar headers unless an entry needs more (long
  // names, big ids, xattrs, non-ASCII names), like Go's writer. Xattrs
  // only as SCHILY.xattr.*, the one form Docker reads, not twice. (The
  // "hdrcharset=BINARY" option would force an extended header onto every
  // entry; without it a name that is not valid in the locale's charset
  // still goes out byte for byte, with a warning we ignore.)
  if (archive_write_set_format_pax_restricted(archive_) != ARCHIVE_OK ||
      archive_write_set_format_option(archive_, "pax", "xattrheader",
                                      "SCHILY") != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(archive_, kBufferSize) != ARCHIVE_OK ||
      // No padding after the end-of-archive blocks.
      archive_write_set_bytes_in_last_block(archive_, 1) != ARCHIVE_OK) {
    return Error("configure tar writer");
  }
  if (archive_write_open(archive_, this, nullptr, WriteCallback, nullptr) !=
      ARCHIVE_OK) {
    return Error("open tar writer");
  }
  return absl::OkStatus();
}

absl::Status TarWriter::Close() {
  if (archive_write_close(archive_) != ARCHIVE_OK) {
    return Error("finish tar");
  }
  return absl::OkStatus();
}

absl::Status TarWriter::Header(archive_entry* entry, const std::string& rel) {
  if (archive_write_header(archive_, entry) < ARCHIVE_WARN) {
    return Error(absl::StrCat("write header of ", Quote(rel)));
  }
  return absl::OkStatus();
}

absl::Status TarWriter::WriteEmptyFile(const std::string& rel, uid_t uid,
                                       gid_t gid, time_t mtime, int perm) {
  EntryPtr entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), rel.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), perm);
  archive_entry_set_uid(entry.get(), uid);
  archive_entry_set_gid(entry.get(), gid);
  archive_entry_set_mtime(entry.get(), mtime, 0);
  archive_entry_set_size(entry.get(), 0);
  return Header(entry.get(), rel);
}

absl::Status TarWriter::WriteTree(int dirfd, const std::string& prefix,
                                  int depth) {
  if (depth >= kMaxDepth) {
    return absl::ResourceExhaustedError(
        absl::StrCat("directory ", Quote(prefix), " is nested too deeply"));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dirfd, "."));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string child = prefix + name;
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed while we walk
      return ErrnoStatus(errno, absl::StrCat("stat ", Quote(child)));
    }
    BERTH_RETURN_IF_ERROR(WriteEntry(dirfd, name, child, st));
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(openat(dirfd, name.c_str(),
                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.get() < 0) {
        return ErrnoStatus(errno, absl::StrCat("open ", Quote(child)));
      }
      BERTH_RETURN_IF_ERROR(WriteTree(sub.get(), child + "/", depth + 1));
    }
  }
  return absl::OkStatus();
}

absl::Status TarWriter::WriteEntry(int dirfd, const std::string& name,
                                   const std::string& rel,
                                   const struct stat& st) {
  if (S_ISSOCK(st.st_mode)) return absl::OkStatus();  // tar has no sockets
  // Before hardlinks: overlay shares one inode among its whiteouts.
  if (mode_ == WhiteoutMode::kOverlay && S_ISCHR(st.st_mode) &&
      st.st_rdev == 0) {
    std::string dir = rel.substr(0, rel.size() - name.size());
    return WriteEmptyFile(absl::StrCat(dir, kWhiteoutPrefix, name), st.st_uid,
                          st.st_gid, st.st_mtim.tv_sec, 0600);
  }

  // No lgetxattrat(): /proc/self/fd/N names the open parent for good.
  std::string path = absl::StrCat("/proc/self/fd/", dirfd, "/", name);
  EntryPtr entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(),
                             (S_ISDIR(st.st_mode) ? rel + "/" : rel).c_str());
  archive_entry_set_perm(entry.get(), st.st_mode & 07777);
  archive_entry_set_uid(entry.get(), st.st_uid);
  archive_entry_set_gid(entry.get(), st.st_gid);
  archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, 0);

  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    auto [it, inserted] = links_.try_emplace({st.st_dev, st.st_ino}, rel);
    if (!inserted) {
      archive_entry_set_filetype(entry.get(), st.st_mode & S_IFMT);
      archive_entry_set_hardlink(entry.get(), it->second.c_str());
      archive_entry_set_size(entry.get(), 0);
      return Header(entry.get(), rel);
    }
  }

  BERTH_RETURN_IF_ERROR(AddXattrs(entry.get(), path));
  archive_entry_set_filetype(entry.get(), st.st_mode & S_IFMT);
  if (S_ISREG(st.st_mode)) {
    archive_entry_set_size(entry.get(), st.st_size);
    BERTH_RETURN_IF_ERROR(Header(entry.get(), rel));
    return WriteContent(dirfd, name, rel, st.st_size);
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(std::max<off_t>(st.st_size, 255) + 1, '\0');
    while (true) {
      ssize_t n = readlinkat(dirfd, name.c_str(), target.data(), target.size());
      if (n < 0)
        return ErrnoStatus(errno, absl::StrCat("readlink ", Quote(rel)));
      if (static_cast<size_t>(n) < target.size()) {
        target.resize(n);
        break;
      }
      target.resize(target.size() * 2);
    }
    archive_entry_set_symlink(entry.get(), target.c_str());
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    archive_entry_set_rdevmajor(entry.get(), major(st.st_rdev));
    archive_entry_set_rdevminor(entry.get(), minor(st.st_rdev));
  }
  BERTH_RETURN_IF_ERROR(Header(entry.get(), rel));

  if (mode_ == WhiteoutMode::kOverlay && S_ISDIR(st.st_mode)) {
    char value[2];
    ssize_t n =
        lgetxattr(path.c_str(), kOverlayOpaqueXattr, value, sizeof(value));
    if (n == 1 && value[0] == 'y') {
      BERTH_RETURN_IF_ERROR(
          WriteEmptyFile(absl::StrCat(rel, "/", kWhiteoutOpaqueDir), st.st_uid,
                         st.st_gid, st.st_mtim.tv_sec, st.st_mode & 0777));
    }
  }
  return absl::OkStatus();
}

absl::Status TarWriter::WriteContent(int dirfd, const std::string& name,
                                     const std::string& rel, off_t size) {
  UniqueFd fd(openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0)
    return ErrnoStatus(errno, absl::StrCat("open ", Quote(rel)));
  off_t left = size;
  while (left > 0) {
    ssize_t n = read(fd.get(), buf_.get(),
                     std::min<off_t>(left, static_cast<off_t>(kBufferSize)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("read ", Quote(rel)));
    }
    if (n == 0) {
      // The header promised `size` bytes: the tar cannot be finished.
      return absl::FailedPreconditionError(
          absl::StrCat(Quote(rel), " shrank while being archived"));
    }
    if (archive_write_data(archive_, buf_.get(), n) != n) {
      return Error(absl::StrCat("write content of ", Quote(rel)));
    }
    left -= n;
  }
  return absl::OkStatus();
}

absl::Status TarWriter::AddXattrs(archive_entry* entry,
                                  const std::string& path) {
  std::string list(1024, '\0');
  ssize_t n;
  while ((n = llistxattr(path.c_str(), list.data(), list.size())) < 0) {
    if (errno == EOPNOTSUPP) return absl::OkStatus();
    if (errno != ERANGE) return ErrnoStatus(errno, "listxattr");
    ssize_t need = llistxattr(path.c_str(), nullptr, 0);
    if (need < 0) return ErrnoStatus(errno, "listxattr");
    list.resize(need + 1);
  }
  list.resize(n);
  std::vector<std::string> names;
  for (size_t pos = 0; pos < list.size();) {
    size_t end = list.find('\0', pos);
    if (end == std::string::npos) end = list.size();
    std::string name = list.substr(pos, end - pos);
    pos = end + 1;
    // Overlay's bookkeeping and host-specific labels are not layer content.
    if (name.empty() || absl::StartsWith(name, kOverlayXattrPrefix) ||
        name == "security.selinux") {
      continue;
    }
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  std::string value(4096, '\0');
  for (const std::string& name : names) {
    ssize_t size;
    while (true) {
      size = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
      if (size >= 0) break;
      if (errno == ENODATA) break;  // removed meanwhile
      if (errno != ERANGE) {
        return ErrnoStatus(errno, absl::StrCat("getxattr ", Quote(name)));
      }
      ssize_t need = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
      if (need < 0) return ErrnoStatus(errno, "getxattr");
      value.resize(need + 1);
    }
    if (size < 0) continue;
    archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), size);
  }
  return absl::OkStatus();
}

}  // namespace berth::archive_internal
