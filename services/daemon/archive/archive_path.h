#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_ARCHIVE_PATH_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_ARCHIVE_PATH_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/path_stat.h"

namespace berth {

// docker cp out of a container (GET /containers/{id}/archive?path=): an
// uncompressed tar of `path` in the container whose root directory is
// `root`, found as StatInRoot finds it (symlinks resolved inside the root,
// the last name not followed unless the path ends in "/" or "/.").
//
// As dockerd names the entries: the top entry is the path's base name and
// a directory's contents follow below it ("/etc" gives "etc/",
// "etc/passwd", ...); a path ending in "/." gives the directory as "./"
// and its contents as "./passwd", ...; the root gives "/", "/etc/", ...
// A symlink named without a trailing "/" is archived as the link itself;
// with "/" or "/.", the directory it leads to is archived under the
// link's name. Entries are in WriteLayerTar's format and order, and
// nothing is converted: ".wh." files and 0/0 devices go out as they are.
//
// GET sends the stat in a header before the tar: `on_stat`, when given,
// gets it (for the same object the tar then holds) before the first byte
// goes to `out`; its error ends the call. Errors are StatInRoot's.
absl::Status ArchiveFromRoot(
    const std::string& root, absl::string_view path, ByteSink& out,
    const std::function<absl::Status(const PathStat&)>& on_stat = nullptr);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_ARCHIVE_PATH_H_
