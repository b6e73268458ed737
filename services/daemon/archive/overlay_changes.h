#ifndef BERTH_SERVICES_DAEMON_ARCHIVE_OVERLAY_CHANGES_H_
#define BERTH_SERVICES_DAEMON_ARCHIVE_OVERLAY_CHANGES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/daemon/archive/change.h"

namespace berth {

// docker diff of an overlay container from its upper dir, without
// mounting anything. dockerd mounts the container and its image and runs
// NaiveChanges on the two views (since 2018 its overlay2 driver
// no longer reads the upper dir, which it got wrong for opaque
// directories); this gives exactly that answer, in NaiveChanges' order,
// while reading only what the container touched.
//
// `upper_dir` is the container layer's diff dir; `lower_dirs` are the
// image's layer diff dirs, topmost first, as overlayfs' lowerdir= lists
// them. Both use overlay's notation: a 0/0 character device is a
// whiteout, a directory with trusted.overlay.opaque=y hides what the
// layers below have there. A path the upper dir does not name is
// unchanged. One it does is compared with what the image shows there:
// the topmost lower entry, unless a whiteout, an opaque directory or a
// non-directory above it hides it. So a whiteout over something is
// Deleted (over nothing, it is no change); an opaque directory over a
// directory is compared like any directory, and each entry the image had
// in it that it lacks now is Deleted (so the directory is reported
// Modified too); an entry over a hidden one is Added.
//
// Assumes overlay's redirect_dir and metacopy features are off (the
// kernel's default; berth's overlay driver does not turn them on).
absl::StatusOr<std::vector<Change>> OverlayChanges(
    const std::string& upper_dir, const std::vector<std::string>& lower_dirs);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_ARCHIVE_OVERLAY_CHANGES_H_
