#include "services/daemon/archive/apply_layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "services/daemon/archive/fs_util.h"

namespace berth {
namespace {

using archive_internal::ListDir;
using archive_internal::Quote;
using archive_internal::UniqueFd;

constexpr size_t kBufferSize = 1 << 20;
// Bounds recursion when deleting trees that a hostile lower layer made
// arbitrarily deep.
constexpr int kMaxDepth = 4096;

std::string Join(const std::vector<std::string>& parts, size_t n) {
  return absl::StrJoin(parts.begin(), parts.begin() + n, "/");
}

// Docker's normalization: leading "/" is dropped, so are empty and "."
// components, and ".." is resolved lexically. A ".." above the root is
// refused rather than clamped, since no honest layer contains one.
absl::StatusOr<std::vector<std::string>> CleanPath(absl::string_view path,
                                                   absl::string_view noun) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("its \"..\" climbs out of the ", noun, " root"));
      }
      parts.pop_back();
      continue;
    }
    parts.emplace_back(part.data(), part.size());
  }
  return parts;
}

// rm -rf of `name` in `dirfd` that never follows a symlink.
absl::Status RemoveTree(int dirfd, const std::string& name, int depth) {
  if (unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) {
    return absl::OkStatus();
  }
  if (errno != EISDIR) {
    return ErrnoStatus(errno, absl::StrCat("remove ", Quote(name)));
  }
  if (depth >= kMaxDepth) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "directory ", Quote(name), " is nested too deeply to remove"));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> children,
                         ListDir(dirfd, name.c_str()));
  if (!children.empty()) {
    UniqueFd fd(openat(dirfd, name.c_str(),
                       O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
      return ErrnoStatus(errno, absl::StrCat("open ", Quote(name)));
    }
    for (const std::string& child : children) {
      BERTH_RETURN_IF_ERROR(RemoveTree(fd.get(), child, depth + 1));
    }
  }
  if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove directory ", Quote(name)));
  }
  return absl::OkStatus();
}

enum class Compression { kNone, kGzip, kZstd };

// Magic numbers, as Docker's DetectCompression knows them.
absl::StatusOr<Compression> DetectCompression(absl::string_view head,
                                              absl::string_view noun) {
  if (absl::StartsWith(head, "\x1f\x8b")) return Compression::kGzip;
  if (absl::StartsWith(head, "\x28\xb5\x2f\xfd")) return Compression::kZstd;
  if (head.size() >= 4) {
    // A zstd stream may open with a skippable frame, 0x184D2A5? LE.
    uint32_t magic = static_cast<uint8_t>(head[0]) |
                     static_cast<uint8_t>(head[1]) << 8 |
                     static_cast<uint8_t>(head[2]) << 16 |
                     static_cast<uint32_t>(static_cast<uint8_t>(head[3])) << 24;
    if ((magic & 0xfffffff0u) == 0x184d2a50u) return Compression::kZstd;
  }
  if (absl::StartsWith(head, absl::string_view("\xfd"
                                               "7zXZ\0",
                                               6))) {
    return absl::InvalidArgumentError(
        absl::StrCat(noun, " is xz-compressed; only uncompressed, gzip and ",
                     "zstd ", noun, "s are supported"));
  }
  // "BZh", the block size, then the block magic: a tar whose first name
  // merely starts with "BZh" stays a tar.
  if (head.size() >= 10 && absl::StartsWith(head, "BZh") && head[3] >= '1' &&
      head[3] <= '9' && head.substr(4, 6) == "\x31\x41\x59\x26\x53\x59") {
    return absl::InvalidArgumentError(
        absl::StrCat(noun, " is bzip2-compressed; only uncompressed, gzip and ",
                     "zstd ", noun, "s are supported"));
  }
  return Compression::kNone;
}

// The uncompressed tar stream, pulled chunk by chunk.
//
// The DiffID is the sha256 of the uncompressed tar, headers and padding
// included, but a libarchive tar reader only hands out entries. So
// decompression is a stage of its own: a libarchive reader in "raw" format
// with exactly one filter, chosen here from the magic bytes (not by
// libarchive's bidding, which would also unwrap nested or other
// compressions Docker does not accept), produces the tar bytes. They are
// hashed and counted on their way into a second libarchive reader that
// parses the tar. Plain input skips the first stage. No chunk is copied:
// each stays valid until the next pull, which is all libarchive asks of a
// read callback. After the tar's end the rest of the stream is drained
// into the hash too, as Docker does.
class LayerStream {
 public:
  LayerStream(ByteSource& in, bool hash, absl::string_view noun)
      : in_(in), hash_(hash), noun_(noun), buf_(new char[kBufferSize]) {}
  ~LayerStream() {
    if (raw_ != nullptr) archive_read_free(raw_);
    if (md_ != nullptr) EVP_MD_CTX_free(md_);
    if (raw_md_ != nullptr) EVP_MD_CTX_free(raw_md_);
  }
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;

  absl::Status Open();

  // The next chunk of the uncompressed tar, empty at its end. A failure is
  // also kept, for the tar reader's callback to report.
  absl::StatusOr<absl::string_view> Next() {
    absl::StatusOr<absl::string_view> chunk = NextImpl();
    if (!chunk.ok() && error_.ok()) error_ = chunk.status();
    return chunk;
  }

  absl::Status Drain() {
    while (true) {
      BERTH_ASSIGN_OR_RETURN(absl::string_view chunk, Next());
      if (chunk.empty()) return absl::OkStatus();
    }
  }

  // The status for a failure the tar reader reported. `where` places it.
  absl::Status TarError(archive* tar, absl::string_view where) const {
    if (!error_.ok()) return error_;
    const char* message = archive_error_string(tar);
    if (message == nullptr) message = "unknown error";
    if (eof_) {
      return absl::DataLossError(
          absl::StrCat("unexpected EOF in ", noun_, " tar", where, ": ",
                       message, " (the ", noun_, " is truncated)"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("malformed ", noun_, " tar", where, ": ", message));
  }

  uint64_t bytes() const { return bytes_; }

  // The DiffID, then the blob digest (the same for plain input): empty
  // without hashing.
  absl::Status Finish(ApplyStats& stats) {
    BERTH_ASSIGN_OR_RETURN(stats.diff_id_hex, HexDigest(md_));
    if (raw_md_ == nullptr) {
      stats.blob_hex = stats.diff_id_hex;
      return absl::OkStatus();
    }
    // The compressed stream may go on past the end of the compressed data.
    while (true) {
      BERTH_ASSIGN_OR_RETURN(absl::string_view chunk, ReadSource());
      if (chunk.empty()) break;
    }
    BERTH_ASSIGN_OR_RETURN(stats.blob_hex, HexDigest(raw_md_));
    return absl::OkStatus();
  }

 private:
  static la_ssize_t RawRead(archive* a, void* self, const void** out);

  static absl::StatusOr<std::string> HexDigest(EVP_MD_CTX* md) {
    if (md == nullptr) return std::string();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(md, digest, &len) != 1) {
      return absl::InternalError("sha256 finalization failed");
    }
    return absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(digest), len));
  }

  static absl::StatusOr<EVP_MD_CTX*> NewSha256() {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    if (md == nullptr || EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) {
      EVP_MD_CTX_free(md);
      return absl::InternalError("cannot initialize sha256");
    }
    return md;
  }

  // Reads until `want` bytes are buffered or the source ends.
  absl::Status Fill(size_t want) {
    while (buffered_ < want) {
      BERTH_ASSIGN_OR_RETURN(size_t n, ReadChecked(buf_.get() + buffered_,
                                                   kBufferSize - buffered_));
      if (n == 0) break;
      buffered_ += n;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> ReadChecked(char* buf, size_t n) {
    BERTH_ASSIGN_OR_RETURN(size_t got, in_.Read(buf, n));
    if (got > n) {
      return absl::InternalError("layer source returned more than asked");
    }
    return got;
  }

  // The next chunk of the (maybe compressed) source.
  absl::StatusOr<absl::string_view> ReadSource() {
    absl::string_view chunk;
    if (buffered_ > 0) {
      chunk = absl::string_view(buf_.get(), std::exchange(buffered_, 0));
    } else {
      BERTH_ASSIGN_OR_RETURN(size_t n, ReadChecked(buf_.get(), kBufferSize));
      chunk = absl::string_view(buf_.get(), n);
    }
    if (raw_md_ != nullptr &&
        EVP_DigestUpdate(raw_md_, chunk.data(), chunk.size()) != 1) {
      return absl::InternalError("sha256 update failed");
    }
    return chunk;
  }

  absl::Status DecompressError() const {
    if (!error_.ok()) return error_;
    const char* message = archive_error_string(raw_);
    return absl::InvalidArgumentError(absl::StrCat(
        "corrupt ", compression_ == Compression::kGzip ? "gzip" : "zstd", " ",
        noun_, " stream: ", message != nullptr ? message : "unknown error"));
  }

  absl::StatusOr<absl::string_view> NextImpl();

  ByteSource& in_;
  const bool hash_;
  const absl::string_view noun_;
  std::unique_ptr<char[]> buf_;
  size_t buffered_ = 0;
  Compression compression_ = Compression::kNone;
  archive* raw_ = nullptr;
  EVP_MD_CTX* md_ = nullptr;
  // The compressed stream's own hash, for its blob digest.
  EVP_MD_CTX* raw_md_ = nullptr;
  uint64_t bytes_ = 0;
  bool eof_ = false;
  absl::Status error_;
};

la_ssize_t LayerStream::RawRead(archive* a, void* self, const void** out) {
  auto* stream = static_cast<LayerStream*>(self);
  absl::StatusOr<absl::string_view> chunk = stream->ReadSource();
  if (!chunk.ok()) {
    if (stream->error_.ok()) stream->error_ = chunk.status();
    archive_set_error(a, EIO, "reading the layer source failed");
    return -1;
  }
  *out = chunk->data();
  return static_cast<la_ssize_t>(chunk->size());
}

absl::Status LayerStream::Open() {
  if (hash_) {
    BERTH_ASSIGN_OR_RETURN(md_, NewSha256());
  }
  BERTH_RETURN_IF_ERROR(Fill(16));
  BERTH_ASSIGN_OR_RETURN(
      compression_,
      DetectCompression(absl::string_view(buf_.get(), buffered_), noun_));
  if (compression_ == Compression::kNone) return absl::OkStatus();
  if (hash_) {
    BERTH_ASSIGN_OR_RETURN(raw_md_, NewSha256());
  }
  raw_ = archive_read_new();
  if (raw_ == nullptr) return absl::ResourceExhaustedError("archive_read_new");
  archive_read_support_format_raw(raw_);
  int filter = compression_ == Compression::kGzip ? ARCHIVE_FILTER_GZIP
                                                  : ARCHIVE_FILTER_ZSTD;
  if (archive_read_append_filter(raw_, filter) != ARCHIVE_OK) {
    return absl::UnimplementedError(
        absl::StrCat("libarchive cannot decompress this ", noun_, ": ",
                     archive_error_string(raw_)));
  }
  if (archive_read_open(raw_, this, nullptr, RawRead, nullptr) != ARCHIVE_OK) {
    return DecompressError();
  }
  archive_entry* entry;
  if (archive_read_next_header(raw_, &entry) != ARCHIVE_OK) {
    return DecompressError();
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::string_view> LayerStream::NextImpl() {
  if (!error_.ok()) return error_;
  if (eof_) return absl::string_view();
  absl::string_view chunk;
  if (raw_ == nullptr) {
    BERTH_ASSIGN_OR_RETURN(chunk, ReadSource());
  } else {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset;
    int r;
    do {
      r = archive_read_data_block(raw_, &buf, &size, &offset);
    } while ((r == ARCHIVE_OK || r == ARCHIVE_WARN) && size == 0);
    if (r == ARCHIVE_EOF) {
      size = 0;
    } else if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return DecompressError();
    }
    chunk = absl::string_view(static_cast<const char*>(buf), size);
  }
  if (chunk.empty()) {
    eof_ = true;
    return chunk;
  }
  if (md_ != nullptr &&
      EVP_DigestUpdate(md_, chunk.data(), chunk.size()) != 1) {
    return absl::InternalError("sha256 update failed");
  }
  bytes_ += chunk.size();
  return chunk;
}

la_ssize_t TarRead(archive* a, void* self, const void** out) {
  absl::StatusOr<absl::string_view> chunk =
      static_cast<LayerStream*>(self)->Next();
  if (!chunk.ok()) {
    archive_set_error(a, EIO, "reading the layer stream failed");
    return -1;
  }
  *out = chunk->data();
  return static_cast<la_ssize_t>(chunk->size());
}

absl::Status PWriteAll(int fd, const char* data, size_t size, off_t offset) {
  while (size > 0) {
    ssize_t n = pwrite(fd, data, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write file content");
    }
    data += n;
    size -= n;
    offset += n;
  }
  return absl::OkStatus();
}

void EntryTimes(archive_entry* entry, struct timespec times[2]) {
  times[1].tv_sec = archive_entry_mtime(entry);
  times[1].tv_nsec = archive_entry_mtime_nsec(entry);
  if (archive_entry_atime_is_set(entry)) {
    times[0].tv_sec = archive_entry_atime(entry);
    times[0].tv_nsec = archive_entry_atime_nsec(entry);
  } else {
    times[0] = times[1];
  }
}

struct Owner {
  uid_t uid;
  gid_t gid;
};

absl::StatusOr<Owner> EntryOwner(archive_entry* entry) {
  int64_t uid = archive_entry_uid(entry);
  int64_t gid = archive_entry_gid(entry);
  // (uid_t)-1 would mean "leave unchanged" to chown.
  if (uid < 0 || uid >= 0xffffffffLL || gid < 0 || gid >= 0xffffffffLL) {
    return absl::InvalidArgumentError(
        absl::StrCat("owner ", uid, ":", gid, " is out of range"));
  }
  return Owner{static_cast<uid_t>(uid), static_cast<gid_t>(gid)};
}

// A regular file entry's content, for ApplyOptions::write_content.
class EntrySource : public ByteSource {
 public:
  EntrySource(archive* tar, const LayerStream& stream)
      : tar_(tar), stream_(stream) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    la_ssize_t got = archive_read_data(tar_, buf, n);
    if (got < 0) return stream_.TarError(tar_, "");
    return static_cast<size_t>(got);
  }

 private:
  archive* const tar_;
  const LayerStream& stream_;
};

// Sequential writes to a new file, counted.
class CountingFdSink : public ByteSink {
 public:
  explicit CountingFdSink(int fd) : fd_(fd) {}

  absl::Status Write(absl::string_view data) override {
    BERTH_RETURN_IF_ERROR(PWriteAll(fd_, data.data(), data.size(), bytes_));
    bytes_ += data.size();
    return absl::OkStatus();
  }
  int64_t bytes() const { return bytes_; }

 private:
  const int fd_;
  int64_t bytes_ = 0;
};

class Applier {
 public:
  Applier(int root, const ApplyOptions& options, LayerStream& stream)
      : root_(root), options_(options), stream_(stream) {}

  absl::Status Apply(archive* tar, archive_entry* entry) {
    const char* name = archive_entry_pathname(entry);
    if (name == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(options_.noun, " entry without a name"));
    }
    name_ = name;
    absl::Status status = ApplyEntry(tar, entry);
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat(options_.noun, " entry ", Quote(name_),
                                       ": ", status.message()));
    }
    return absl::OkStatus();
  }

  // Directory times, last: creating their contents changed them.
  absl::Status Finish();

  const std::string& last_name() const { return name_; }
  uint64_t size() const { return size_; }

 private:
  struct DirTimes {
    std::vector<std::string> parts;
    struct timespec times[2];
  };

  absl::Status ApplyEntry(archive* tar, archive_entry* entry);
  absl::Status ApplyRoot(archive_entry* entry);
  absl::Status ApplyWhiteout(const std::vector<std::string>& parts,
                             archive_entry* entry);
  absl::Status ApplyOpaque(const std::vector<std::string>& parts);
  absl::Status RemoveLower(int dirfd, const std::string& rel, int depth);
  absl::Status WriteFile(archive* tar, archive_entry* entry, int parent,
                         const std::string& leaf, const std::string& path);
  absl::Status Hardlink(const char* target, int parent,
                        const std::string& leaf);
  absl::Status SetMetadata(int fd, archive_entry* entry);
  absl::Status SetMetadataAt(int parent, const std::string& leaf,
                             archive_entry* entry, bool chmod);
  absl::Status SetXattrs(archive_entry* entry, int fd, const std::string* path);

  absl::StatusOr<UniqueFd> OpenDir(const std::vector<std::string>& parts,
                                   size_t n, bool create);
  absl::StatusOr<UniqueFd> WalkDir(const std::vector<std::string>& parts,
                                   size_t n, bool create);
  absl::StatusOr<int> Parent(const std::vector<std::string>& parts);
  absl::Status Remove(int parent, const std::string& leaf) {
    // The cached parent may have been below what goes away.
    parent_valid_ = false;
    return RemoveTree(parent, leaf, 0);
  }
  void MarkWritten(const std::vector<std::string>& parts);
  absl::StatusOr<Owner> OwnerOf(archive_entry* entry) const {
    if (options_.owner.has_value()) {
      return Owner{options_.owner->uid, options_.owner->gid};
    }
    return EntryOwner(entry);
  }

  const int root_;
  const ApplyOptions& options_;
  LayerStream& stream_;
  std::string name_;
  uint64_t size_ = 0;
  bool have_openat2_ = true;
  // Entries usually come grouped by directory: keep the last parent open.
  bool parent_valid_ = false;
  std::string parent_rel_;
  UniqueFd parent_fd_;
  // What this layer wrote, with all ancestors, so that an opaque whiteout
  // in kApply mode removes only what lower layers left.
  absl::flat_hash_set<std::string> written_;
  std::vector<DirTimes> dir_times_;
};

absl::StatusOr<UniqueFd> Applier::OpenDir(const std::vector<std::string>& parts,
                                          size_t n, bool create) {
  if (n == 0) {
    int fd = fcntl(root_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return ErrnoStatus(errno, "dup");
    return UniqueFd(fd);
  }
  if (have_openat2_) {
    std::string path = Join(parts, n);
    struct open_how how = {};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    for (int attempt = 0; attempt < 3; ++attempt) {
      long fd = syscall(SYS_openat2, root_, path.c_str(), &how, sizeof(how));
      if (fd >= 0) return UniqueFd(static_cast<int>(fd));
      if (errno == ENOSYS || errno == EPERM) {
        have_openat2_ = false;  // old kernel, or a seccomp filter
        break;
      }
      if (errno != EAGAIN && errno != EINTR) break;
    }
    // The walk below is as safe, creates what is missing, and says
    // precisely which component is wrong.
  }
  return WalkDir(parts, n, create);
}

absl::StatusOr<UniqueFd> Applier::WalkDir(const std::vector<std::string>& parts,
                                          size_t n, bool create) {
  UniqueFd current;
  int dirfd = root_;
  for (size_t i = 0; i < n; ++i) {
    const char* name = parts[i].c_str();
    constexpr int kFlags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(dirfd, name, kFlags);
    if (fd < 0 && errno == ENOENT && create) {
      // Docker creates missing parents 0755 root:root.
      if (mkdirat(dirfd, name, 0755) != 0 && errno != EEXIST) {
        return ErrnoStatus(errno,
                           absl::StrCat("mkdir ", Quote(Join(parts, i + 1))));
      }
      fd = openat(dirfd, name, kFlags);
    }
    if (fd < 0) {
      int err = errno;
      std::string where = Quote(Join(parts, i + 1));
      if (err == ENOTDIR || err == ELOOP) {
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode)) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, " is a symlink; nothing is written through one"));
        }
        return absl::InvalidArgumentError(
            absl::StrCat(where, " is not a directory"));
      }
      if (err == ENOENT) {
        return absl::NotFoundError(absl::StrCat(where, " does not exist"));
      }
      return ErrnoStatus(err, absl::StrCat("open ", where));
    }
    current = UniqueFd(fd);
    dirfd = fd;
  }
  return current;
}

absl::StatusOr<int> Applier::Parent(const std::vector<std::string>& parts) {
  std::string rel = Join(parts, parts.size() - 1);
  if (parent_valid_ && rel == parent_rel_) return parent_fd_.get();
  parent_valid_ = false;
  BERTH_ASSIGN_OR_RETURN(parent_fd_, OpenDir(parts, parts.size() - 1, true));
  parent_rel_ = std::move(rel);
  parent_valid_ = true;
  return parent_fd_.get();
}

void Applier::MarkWritten(const std::vector<std::string>& parts) {
  if (options_.whiteouts != WhiteoutMode::kApply ||
      !options_.interpret_whiteouts || parts.empty()) {
    return;
  }
  std::string path = Join(parts, parts.size());
  size_t len = path.size();
  // The set holds every ancestor of what it holds: stop at the first hit.
  while (written_.insert(path.substr(0, len)).second) {
    size_t slash = path.rfind('/', len - 1);
    if (slash == std::string::npos) break;
    len = slash;
  }
}

absl::Status Applier::ApplyEntry(archive* tar, archive_entry* entry) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> parts,
                         CleanPath(name_, options_.noun));
  if (parts.empty()) {
    return options_.apply_root_entry ? ApplyRoot(entry) : absl::OkStatus();
  }
  const std::string& leaf = parts.back();
  if (options_.interpret_whiteouts) {
    if (leaf == kWhiteoutOpaqueDir) return ApplyOpaque(parts);
    // Other ".wh..wh." names are AUFS bookkeeping (the hardlink stash, the
    // base marker), not content; Docker skips them too.
    if (absl::StartsWith(parts.front(), kWhiteoutMetaPrefix) ||
        absl::StartsWith(leaf, kWhiteoutMetaPrefix)) {
      return absl::OkStatus();
    }
    if (absl::StartsWith(leaf, kWhiteoutPrefix)) {
      return ApplyWhiteout(parts, entry);
    }
  }

  const char* hardlink = archive_entry_hardlink(entry);
  mode_t type = archive_entry_filetype(entry);
  if (hardlink == nullptr) {
    switch (type) {
      case AE_IFREG:
      case AE_IFDIR:
      case AE_IFLNK:
      case AE_IFIFO:
        break;
      case AE_IFCHR:
      case AE_IFBLK:
        // 0/0 is no device at all: it is how overlay spells a whiteout.
        if (!options_.allow_devices &&
            !(type == AE_IFCHR && archive_entry_rdevmajor(entry) == 0 &&
              archive_entry_rdevminor(entry) == 0)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "device nodes are not allowed in this ", options_.noun, " (",
              type == AE_IFCHR ? "char" : "block", " device ",
              archive_entry_rdevmajor(entry), ":",
              archive_entry_rdevminor(entry), ")"));
        }
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("unsupported entry type 0", absl::Hex(type)));
    }
  }
  bool is_dir = hardlink == nullptr && type == AE_IFDIR;

  BERTH_ASSIGN_OR_RETURN(int parent, Parent(parts));
  struct stat st;
  bool merge = false;
  if (fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (options_.no_overwrite_dir_non_dir && S_ISDIR(st.st_mode) != is_dir) {
      return absl::FailedPreconditionError(
          S_ISDIR(st.st_mode)
              ? "cannot overwrite an existing directory with a non-directory"
              : "cannot overwrite an existing non-directory with a directory");
    }
    // Docker replaces whatever is there, except dir onto dir: merge.
    merge = is_dir && S_ISDIR(st.st_mode);
    if (!merge) BERTH_RETURN_IF_ERROR(Remove(parent, leaf));
  } else if (errno != ENOENT) {
    return ErrnoStatus(errno, "stat");
  }
  MarkWritten(parts);

  if (hardlink != nullptr) return Hardlink(hardlink, parent, leaf);
  const char* c_leaf = leaf.c_str();
  switch (type) {
    case AE_IFREG:
      return WriteFile(tar, entry, parent, leaf, Join(parts, parts.size()));
    case AE_IFDIR: {
      if (!merge && mkdirat(parent, c_leaf, 0700) != 0) {
        return ErrnoStatus(errno, "mkdir");
      }
      UniqueFd fd(openat(parent, c_leaf,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (fd.get() < 0) return ErrnoStatus(errno, "open directory");
      BERTH_RETURN_IF_ERROR(SetMetadata(fd.get(), entry));
      DirTimes& times = dir_times_.emplace_back();
      times.parts = std::move(parts);
      EntryTimes(entry, times.times);
      return absl::OkStatus();
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      if (target == nullptr || *target == '\0') {
        return absl::InvalidArgumentError("symlink without a target");
      }
      if (symlinkat(target, parent, c_leaf) != 0) {
        return ErrnoStatus(errno, "symlink");
      }
      return SetMetadataAt(parent, leaf, entry, /*chmod=*/false);
    }
    default: {  // fifo or device, checked above
      dev_t dev = makedev(archive_entry_rdevmajor(entry),
                          archive_entry_rdevminor(entry));
      if (type == AE_IFIFO) dev = 0;
      if (mknodat(parent, c_leaf, type | 0600, dev) != 0) {
        return ErrnoStatus(errno, "mknod");
      }
      return SetMetadataAt(parent, leaf, entry, /*chmod=*/true);
    }
  }
}

absl::Status Applier::ApplyRoot(archive_entry* entry) {
  if (archive_entry_hardlink(entry) != nullptr ||
      archive_entry_filetype(entry) != AE_IFDIR) {
    return absl::InvalidArgumentError(absl::StrCat(
        "only a directory can stand for the ", options_.noun, " root"));
  }
  BERTH_RETURN_IF_ERROR(SetMetadata(root_, entry));
  DirTimes& times = dir_times_.emplace_back();
  EntryTimes(entry, times.times);
  return absl::OkStatus();
}

absl::Status Applier::ApplyWhiteout(const std::vector<std::string>& parts,
                                    archive_entry* entry) {
  std::string victim = parts.back().substr(strlen(kWhiteoutPrefix));
  if (victim.empty() || victim == "." || victim == "..") {
    return absl::InvalidArgumentError("malformed whiteout name");
  }
  if (options_.whiteouts == WhiteoutMode::kApply) {
    absl::StatusOr<UniqueFd> parent = OpenDir(parts, parts.size() - 1, false);
    if (absl::IsNotFound(parent.status())) return absl::OkStatus();
    if (!parent.ok()) return parent.status();
    return Remove(parent->get(), victim);
  }
  BERTH_ASSIGN_OR_RETURN(Owner owner, OwnerOf(entry));
  BERTH_ASSIGN_OR_RETURN(int parent, Parent(parts));
  BERTH_RETURN_IF_ERROR(Remove(parent, victim));
  if (mknodat(parent, victim.c_str(), S_IFCHR, makedev(0, 0)) != 0) {
    return ErrnoStatus(errno, "mknod whiteout");
  }
  if (fchownat(parent, victim.c_str(), owner.uid, owner.gid,
               AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, "chown whiteout");
  }
  return absl::OkStatus();
}

absl::Status Applier::ApplyOpaque(const std::vector<std::string>& parts) {
  size_t n = parts.size() - 1;
  bool apply = options_.whiteouts == WhiteoutMode::kApply;
  absl::StatusOr<UniqueFd> dir = OpenDir(parts, n, /*create=*/!apply);
  if (apply && absl::IsNotFound(dir.status())) return absl::OkStatus();
  if (!dir.ok()) return dir.status();
  if (apply) {
    parent_valid_ = false;
    return RemoveLower(dir->get(), Join(parts, n), 0);
  }
  UniqueFd fd(openat(dir->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, "open directory");
  if (fsetxattr(fd.get(), kOverlayOpaqueXattr, "y", 1, 0) != 0) {
    if (errno == EOPNOTSUPP) {
      return absl::FailedPreconditionError(
          "the overlay upper dir's filesystem does not support trusted.* "
          "xattrs");
    }
    return ErrnoStatus(errno, "set trusted.overlay.opaque");
  }
  return absl::OkStatus();
}

absl::Status Applier::RemoveLower(int dirfd, const std::string& rel,
                                  int depth) {
  if (depth >= kMaxDepth) {
    return absl::ResourceExhaustedError(
        "directory nested too deeply for an opaque whiteout");
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dirfd, "."));
  for (const std::string& name : names) {
    std::string child = rel.empty() ? name : absl::StrCat(rel, "/", name);
    if (!written_.contains(child)) {
      BERTH_RETURN_IF_ERROR(RemoveTree(dirfd, name, depth + 1));
      continue;
    }
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode)) {
      UniqueFd sub(openat(dirfd, name.c_str(),
                          O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.get() < 0) {
        return ErrnoStatus(errno, absl::StrCat("open ", Quote(child)));
      }
      BERTH_RETURN_IF_ERROR(RemoveLower(sub.get(), child, depth + 1));
    }
  }
  return absl::OkStatus();
}

absl::Status Applier::WriteFile(archive* tar, archive_entry* entry, int parent,
                                const std::string& leaf,
                                const std::string& path) {
  UniqueFd fd(openat(parent, leaf.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     0600));
  if (fd.get() < 0) return ErrnoStatus(errno, "create file");
  int64_t end = 0;
  if (options_.write_content) {
    EntrySource content(tar, stream_);
    CountingFdSink file(fd.get());
    BERTH_RETURN_IF_ERROR(
        options_.write_content(path, archive_entry_size(entry), content, file));
    size_ += file.bytes();
    end = file.bytes();
  } else {
    while (true) {
      const void* buf;
      size_t len;
      la_int64_t offset;
      int r = archive_read_data_block(tar, &buf, &len, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        return stream_.TarError(tar, "");
      }
      BERTH_RETURN_IF_ERROR(
          PWriteAll(fd.get(), static_cast<const char*>(buf), len, offset));
      size_ += len;
      end = std::max<int64_t>(end, offset + static_cast<int64_t>(len));
    }
  }
  // A sparse file may end in a hole.
  int64_t size = archive_entry_size(entry);
  if (size > end && ftruncate(fd.get(), size) != 0) {
    if (errno == EFBIG || errno == EINVAL) {
      return absl::InvalidArgumentError(
          absl::StrCat("file size ", size, " is too large"));
    }
    return ErrnoStatus(errno, "truncate");
  }
  BERTH_RETURN_IF_ERROR(SetMetadata(fd.get(), entry));
  struct timespec times[2];
  EntryTimes(entry, times);
  if (futimens(fd.get(), times) != 0) return ErrnoStatus(errno, "set times");
  return absl::OkStatus();
}

absl::Status Applier::Hardlink(const char* target, int parent,
                               const std::string& leaf) {
  absl::StatusOr<std::vector<std::string>> parts =
      CleanPath(target, options_.noun);
  if (!parts.ok() || parts->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("hardlink target ", Quote(target), " is outside the ",
                     options_.noun, " root"));
  }
  absl::StatusOr<UniqueFd> dir = OpenDir(*parts, parts->size() - 1, false);
  if (!dir.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hardlink target ", Quote(target), ": ", dir.status().message()));
  }
  const char* target_leaf = parts->back().c_str();
  struct stat st;
  if (fstatat(dir->get(), target_leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return absl::InvalidArgumentError(
          absl::StrCat("hardlink target ", Quote(target), " does not exist"));
    }
    return ErrnoStatus(errno, "stat hardlink target");
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("hardlink target ", Quote(target), " is a directory"));
  }
  // No AT_SYMLINK_FOLLOW: a link to a symlink is another name for the
  // symlink, never for what it points at.
  if (linkat(dir->get(), target_leaf, parent, leaf.c_str(), 0) != 0) {
    return ErrnoStatus(errno, "link");
  }
  return absl::OkStatus();
}

absl::Status Applier::SetMetadata(int fd, archive_entry* entry) {
  BERTH_ASSIGN_OR_RETURN(Owner owner, OwnerOf(entry));
  if (fchown(fd, owner.uid, owner.gid) != 0) return ErrnoStatus(errno, "chown");
  // After chown, which clears setuid and setgid.
  if (fchmod(fd, archive_entry_perm(entry) & 07777) != 0) {
    return ErrnoStatus(errno, "chmod");
  }
  return SetXattrs(entry, fd, nullptr);
}

absl::Status Applier::SetMetadataAt(int parent, const std::string& leaf,
                                    archive_entry* entry, bool chmod) {
  // Symlinks, fifos and devices cannot be opened to be changed through an
  // fd. `leaf` is what this entry just created, and the *at calls do not
  // follow it.
  BERTH_ASSIGN_OR_RETURN(Owner owner, OwnerOf(entry));
  const char* c_leaf = leaf.c_str();
  if (fchownat(parent, c_leaf, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) !=
      0) {
    return ErrnoStatus(errno, "chown");
  }
  if (chmod &&
      fchmodat(parent, c_leaf, archive_entry_perm(entry) & 07777, 0) != 0) {
    return ErrnoStatus(errno, "chmod");
  }
  if (archive_entry_xattr_count(entry) > 0) {
    // No lsetxattrat(): name the parent by its fd's /proc link, which
    // cannot be redirected, and let lsetxattr not follow the leaf.
    std::string path = absl::StrCat("/proc/self/fd/", parent, "/", leaf);
    BERTH_RETURN_IF_ERROR(SetXattrs(entry, -1, &path));
  }
  struct timespec times[2];
  EntryTimes(entry, times);
  if (utimensat(parent, c_leaf, times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, "set times");
  }
  return absl::OkStatus();
}

absl::Status Applier::SetXattrs(archive_entry* entry, int fd,
                                const std::string* path) {
  if (archive_entry_xattr_reset(entry) == 0) return absl::OkStatus();
  const char* name;
  const void* value;
  size_t size;
  while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
    if (name == nullptr || *name == '\0') continue;
    // Overlay's own xattrs (redirect, origin, metacopy, ...) would change
    // what the mount shows; only whiteout entries may produce them.
    if (absl::StartsWith(name, kOverlayXattrPrefix)) continue;
    int r = fd >= 0 ? fsetxattr(fd, name, value, size, 0)
                    : lsetxattr(path->c_str(), name, value, size, 0);
    if (r == 0 || errno == EOPNOTSUPP) continue;
    // The kernel keeps user.* off symlinks and device nodes.
    if (errno == EPERM && fd < 0 && absl::StartsWith(name, "user.")) continue;
    return ErrnoStatus(errno, absl::StrCat("set xattr ", Quote(name)));
  }
  return absl::OkStatus();
}

absl::Status Applier::Finish() {
  for (DirTimes& dir : dir_times_) {
    name_ = Join(dir.parts, dir.parts.size());
    if (dir.parts.empty()) {
      if (futimens(root_, dir.times) != 0) {
        return ErrnoStatus(
            errno, absl::StrCat("set times of the ", options_.noun, " root"));
      }
      continue;
    }
    // Later entries may have removed or replaced it: then skip it.
    absl::StatusOr<UniqueFd> parent =
        OpenDir(dir.parts, dir.parts.size() - 1, false);
    if (!parent.ok()) continue;
    const char* leaf = dir.parts.back().c_str();
    struct stat st;
    if (fstatat(parent->get(), leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode)) {
      continue;
    }
    if (utimensat(parent->get(), leaf, dir.times, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, absl::StrCat("set times of ", Quote(name_)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ApplyStats> ApplyLayer(ByteSource& in,
                                      const std::string& target_dir,
                                      const ApplyOptions& options) {
  UniqueFd root(open(target_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) {
    return ErrnoStatus(
        errno, absl::StrCat("open ", options.noun, " target ", target_dir));
  }
  return ApplyLayerAt(in, root.get(), options);
}

absl::StatusOr<ApplyStats> ApplyLayerAt(ByteSource& in, int target_dirfd,
                                        const ApplyOptions& options) {
  LayerStream stream(in, options.compute_diff_id, options.noun);
  BERTH_RETURN_IF_ERROR(stream.Open());

  std::unique_ptr<archive, decltype(&archive_read_free)> tar(archive_read_new(),
                                                             archive_read_free);
  if (tar == nullptr) return absl::ResourceExhaustedError("archive_read_new");
  // ustar, pax and GNU tar all come with the one "tar" format; no filters:
  // decompression happened upstream.
  archive_read_support_format_tar(tar.get());
  // A zero-byte stream is an empty layer, as Go's tar reader has it.
  archive_read_support_format_empty(tar.get());
  if (archive_read_open(tar.get(), &stream, nullptr, TarRead, nullptr) !=
      ARCHIVE_OK) {
    // Format detection failed: whatever the length, this is no tar.
    absl::Status status = stream.TarError(tar.get(), "");
    if (absl::IsDataLoss(status)) {
      return absl::InvalidArgumentError(absl::StrCat(
          options.noun,
          " is not a tar archive: ", archive_error_string(tar.get())));
    }
    return status;
  }

  Applier applier(target_dirfd, options, stream);
  bool first = true;
  while (true) {
    archive_entry* entry;
    int r = archive_read_next_header(tar.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return stream.TarError(
          tar.get(),
          first ? " at its first entry"
                : absl::StrCat(" after entry ", Quote(applier.last_name())));
    }
    first = false;
    BERTH_RETURN_IF_ERROR(applier.Apply(tar.get(), entry));
  }
  BERTH_RETURN_IF_ERROR(applier.Finish());
  BERTH_RETURN_IF_ERROR(stream.Drain());

  ApplyStats stats;
  stats.bytes_in_tar = stream.bytes();
  stats.size = applier.size();
  BERTH_RETURN_IF_ERROR(stream.Finish(stats));
  return stats;
}

}  // namespace berth
