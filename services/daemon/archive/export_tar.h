#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_EXPORT_TAR_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_EXPORT_TAR_H_

#include <string>

#include "absl/status/status.h"
#include "services/daemon/archive/byte_sink.h"

namespace berth {

// docker export: the tar of a container's whole filesystem, from its
// mounted (merged) root `rootfs`. As Docker writes it: every entry below
// the root (not the root itself), names relative ("etc/passwd"), in
// WriteLayerTar's format and order, with nothing converted. The merged
// view of an overlay shows no whiteouts, so there is nothing to convert;
// a 0/0 character device or a ".wh." file the container made itself goes
// out as what it is.
absl::Status WriteExportTar(const std::string& rootfs, ByteSink& out);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_EXPORT_TAR_H_
