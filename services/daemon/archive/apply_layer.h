#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_APPLY_LAYER_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_APPLY_LAYER_H_

#include <stdint.h>

#include <string>

#include "absl/status/statusor.h"
#include "services/daemon/archive/byte_source.h"
#include "services/daemon/archive/whiteout.h"

namespace berth {

struct ApplyOptions {
  WhiteoutMode whiteouts = WhiteoutMode::kApply;
  // Device nodes are refused unless this is set. A 0/0 character device
  // (an overlay whiteout, and no device at all) is always accepted.
  bool allow_devices = false;
  // Hash the uncompressed stream into ApplyStats::diff_id_hex. Off only
  // for archives that are not layers (a docker-save archive unpacked for
  // loading), where the hash would be work for nothing.
  bool compute_diff_id = true;
};

struct ApplyStats {
  // Size of the uncompressed tar stream, trailing padding included.
  uint64_t bytes_in_tar = 0;
  // Bytes of regular file content written.
  uint64_t size = 0;
  // sha256 of the uncompressed tar stream in lowercase hex: the layer's
  // DiffID, without the "sha256:" prefix.
  std::string diff_id_hex;
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

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_APPLY_LAYER_H_
