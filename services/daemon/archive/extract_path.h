#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_EXTRACT_PATH_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_EXTRACT_PATH_H_

#include <stdint.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/daemon/archive/byte_source.h"

namespace berth {

struct ExtractOptions {
  // PUT archive's noOverwriteDirNonDir (the docker CLI always sets it): an
  // entry that would replace an existing directory with a non-directory,
  // or the reverse, fails the copy (FAILED_PRECONDITION) instead.
  bool no_overwrite_dir_non_dir = false;
  // PUT archive's copyUIDGID (docker cp -a): every entry is owned by
  // uid:gid, the container user's ids that the daemon looked up, instead
  // of the ids in the archive.
  bool copy_uid_gid = false;
  uint32_t uid = 0;
  uint32_t gid = 0;
  // Device nodes are refused unless this is set (dockerd creates them).
  bool allow_devices = false;
};

// docker cp into a container (PUT /containers/{id}/archive?path=):
// extracts the tar in `in` (uncompressed, gzip or zstd) into the
// directory `path` of the container whose root directory is `root`.
//
// `path` is resolved as dockerd does, with every symlink followed (the
// last one too, so a link to a directory is a fine destination), but
// inside the root: an absolute link or ".." never leaves it. The
// destination must exist (else NOT_FOUND naming the path) and be a
// directory (else INVALID_ARGUMENT "extraction point is not a
// directory"); on a read-only filesystem it is PERMISSION_DENIED. The
// archive's entries are named relative to the destination (the docker CLI
// renames them before sending), are extracted with ApplyLayer's guarantees
// (no entry lands outside the destination, nothing is written through a
// symlink, a malformed archive is INVALID_ARGUMENT), and are plain content:
// ".wh." names are ordinary files, and an entry for the destination itself
// ("./") is skipped, as Docker skips it.
//
// A container started with --read-only still has a writable root on the
// host: refusing that (dockerd: "container rootfs is marked read-only")
// is the daemon's, which knows the container's configuration.
absl::Status ExtractToRoot(const std::string& root, absl::string_view path,
                           ByteSource& in, const ExtractOptions& options);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_EXTRACT_PATH_H_
