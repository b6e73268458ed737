#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_CHANGES_TAR_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_CHANGES_TAR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/change.h"

namespace berth {

// docker commit of a vfs container: the layer tar of `changes` (from
// NaiveChanges against the image), read from the container's directory
// `root_dir`. Docker's ExportChanges: the changes sorted by path (byte
// order), each Added or Modified path written as one entry (a directory
// without its contents: those have changes of their own) in WriteLayerTar's
// entry format, each Deleted path as an empty ".wh.NAME" file in its
// parent (mode 0600, owned by root, with the parent's mtime where it still
// exists, so that the tar stays reproducible). A path that vanished since
// the changes were computed is left out, as Docker does. Nothing is
// followed through a symlink. A path that is not clean and absolute is
// INVALID_ARGUMENT.
absl::Status WriteChangesTar(const std::string& root_dir,
                             const std::vector<Change>& changes, ByteSink& out);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_CHANGES_TAR_H_
