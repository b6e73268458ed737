#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_APPLY_LAYER_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_APPLY_LAYER_H_

#include <stdint.h>

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/byte_source.h"
#include "services/daemon/archive/whiteout.h"

namespace berth {

struct FileOwner {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct ApplyOptions {
  WhiteoutMode whiteouts = WhiteoutMode::kApply;
  // Device nodes are refused unless this is set. A 0/0 character device
  // (an overlay whiteout, and no device at all) is always accepted.
  bool allow_devices = false;
  // Hash the uncompressed stream into ApplyStats::diff_id_hex. Off only
  // for archives that are not layers (a docker-save archive unpacked for
  // loading), where the hash would be work for nothing.
  bool compute_diff_id = true;

  // The rest serves docker cp, whose archives are plain content rather
  // than layers.

  // Whether names starting with ".wh." are whiteouts (a layer) or
  // ordinary files: Docker extracts docker cp's archives without any
  // whiteout handling.
  bool interpret_whiteouts = true;
  // Whether an entry for the root itself ("./", "/") sets the target's
  // owner, mode, xattrs and times. Docker's docker cp extraction skips it,
  // so copying into a directory leaves the directory itself as it was.
  bool apply_root_entry = true;
  // docker cp's NoOverwriteDirNonDir: an entry that would replace an
  // existing directory with a non-directory, or a non-directory with a
  // directory, is FAILED_PRECONDITION instead.
  bool no_overwrite_dir_non_dir = false;
  // docker cp's CopyUIDGID: every entry gets this owner instead of the
  // one in the archive. (Missing parents are created root:root either
  // way, as Docker does.)
  std::optional<FileOwner> owner;
  // Names the input in error messages: "layer" ("malformed layer tar",
  // "layer entry ...") or "archive" for docker cp.
  absl::string_view noun = "layer";
  // When set, a regular file's content is handed to this instead of being
  // copied: it reads all of `content` (`size` bytes, as the entry says)
  // and writes the file's bytes to `file`. `path` is the entry's cleaned
  // path below the target. docker load applies the layer tars inside its
  // archive this way while they stream in.
  std::function<absl::Status(const std::string& path, int64_t size,
                             ByteSource& content, ByteSink& file)>
      write_content;
};

struct ApplyStats {
  // Size of the uncompressed tar stream, trailing padding included.
  uint64_t bytes_in_tar = 0;
  // Bytes of regular file content written.
  uint64_t size = 0;
  // sha256 of the uncompressed tar stream in lowercase hex: the layer's
  // DiffID, without the "sha256:" prefix.
  std::string diff_id_hex;
  // sha256 of the stream as it came, compressed or not: the digest the
  // layer's blob is stored under. Equals diff_id_hex for a plain tar.
  std::string blob_hex;
};

// Extracts a layer tar (plain, gzip or zstd, detected from its first
// bytes) into `target_dir`, which must exist.
//
// The stream is hostile. Every entry lands beneath `target_dir`: leading
// "/" is stripped as Docker does, a ".." that climbs out of the root is
// refused, and no path is ever resolved through a symlink (an entry under
// a symlinked directory is refused, not redirected). Symlink entries are
// stored as they are, whatever they point at. Hardlinks must name an
// existing non-directory inside the tree; a hardlink to a symlink links
// the symlink itself, and the inode keeps the metadata of its first entry.
// Malformed input is INVALID_ARGUMENT naming the entry, a stream that ends
// mid-archive is DATA_LOSS.
//
// Does not clean up on failure: the target is left half-written and the
// caller must remove the whole directory.
//
// The caller must also compare diff_id_hex with the DiffID the image
// config names: that is the integrity check. libarchive (3.6) does not
// verify gzip's CRC-32, so a corruption that still inflates is only
// caught there (or as a malformed tar).
absl::StatusOr<ApplyStats> ApplyLayer(ByteSource& in,
                                      const std::string& target_dir,
                                      const ApplyOptions& options);

// The same into an open directory, which stays open. It must be opened
// O_RDONLY (not O_PATH): the root entry's metadata is set through it.
absl::StatusOr<ApplyStats> ApplyLayerAt(ByteSource& in, int target_dirfd,
                                        const ApplyOptions& options);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_APPLY_LAYER_H_
