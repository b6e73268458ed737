#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_WRITE_LAYER_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_WRITE_LAYER_H_

#include <string>

#include "absl/status/status.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/whiteout.h"

namespace berth {

// Writes the tree under `dir` (not `dir` itself) to `out` as an
// uncompressed layer tar, the reverse of ApplyLayer.
//
// The output is deterministic for a given tree: PAX (ustar headers, with
// extended headers only where needed), depth first with each
// directory's names in byte order and the directory before its contents
// (Docker's filepath.Walk order), mtimes truncated to
// seconds and no atime/ctime, as Docker writes them. Every entry records
// uid/gid, mode, mtime and xattrs; the second and later names of a
// multiply-linked file become hardlink entries. Symlinks are stored, never
// followed. Sockets are skipped. With kOverlay, overlay whiteouts turn
// back into layer whiteouts: a 0/0 character device NAME becomes an empty
// file ".wh.NAME", and a directory with trusted.overlay.opaque=y gets a
// ".wh..wh..opq" entry. With kApply every entry goes out as it is, which
// is also docker export's tar of a container's merged root (see
// WriteExportTar). trusted.overlay.* and security.selinux xattrs are never
// written.
absl::Status WriteLayerTar(const std::string& dir, WhiteoutMode mode,
                           ByteSink& out);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_WRITE_LAYER_H_
