#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_TAR_WRITER_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_TAR_WRITER_H_

// The one tar writer of this package. Layer tars (WriteLayerTar), commit
// tars of a vfs container (WriteChangesTar), docker cp (ArchiveFromRoot)
// and docker export all write their entries through it, so that every tar
// berth produces has the same entry format.

#include <sys/stat.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/whiteout.h"

struct archive;
struct archive_entry;

namespace berth::archive_internal {

// Entries are PAX (ustar headers, extended headers only where needed), as
// Docker writes them: mtimes truncated to seconds, no atime/ctime, uid/gid,
// mode and xattrs recorded (except trusted.overlay.* and
// security.selinux), a directory's name ending in "/", symlinks stored and
// never followed, sockets skipped, and the second and later names of a
// multiply-linked inode written as hardlinks to the first.
class TarWriter {
 public:
  // With kOverlay, overlay whiteouts turn back into layer whiteouts as
  // they are written: a 0/0 character device NAME becomes an empty file
  // ".wh.NAME", and a directory with trusted.overlay.opaque=y is followed
  // by a ".wh..wh..opq" entry. With kApply every entry is written as it is.
  TarWriter(WhiteoutMode mode, ByteSink& out);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  absl::Status Open();

  // Writes the entry `name` of directory `dirfd`, whose lstat is `st`, as
  // `rel` (its name in the archive; with kOverlay it must end with `name`,
  // where the whiteout conversion puts its prefix). A directory's contents
  // are not written.
  absl::Status WriteEntry(int dirfd, const std::string& name,
                          const std::string& rel, const struct stat& st);

  // Writes everything below directory `dirfd` (not the directory itself),
  // each name prefixed with `prefix` ("" for a layer, "dir/" beneath a
  // directory entry), depth first, each directory's names in byte order
  // and a directory before its contents: Go's filepath.Walk order.
  absl::Status WriteTree(int dirfd, const std::string& prefix, int depth = 0);

  // An empty regular file: a whiteout or an opaque marker.
  absl::Status WriteEmptyFile(const std::string& rel, uid_t uid, gid_t gid,
                              time_t mtime, int perm);

  // Ends the archive (two zero blocks, no padding to a record size).
  absl::Status Close();

 private:
  struct EntryDeleter {
    void operator()(archive_entry* entry) const;
  };
  using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

  static ssize_t WriteCallback(archive* a, void* self, const void* buf,
                               size_t size);

  absl::Status WriteContent(int dirfd, const std::string& name,
                            const std::string& rel, off_t size);
  absl::Status AddXattrs(archive_entry* entry, const std::string& path);
  absl::Status Header(archive_entry* entry, const std::string& rel);
  absl::Status Error(absl::string_view what) const;

  const WhiteoutMode mode_;
  ByteSink& out_;
  std::unique_ptr<char[]> buf_;
  archive* archive_ = nullptr;
  absl::Status sink_error_;
  // First name of every multiply-linked inode written so far.
  absl::flat_hash_map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace berth::archive_internal

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_TAR_WRITER_H_
