#ifndef BERTH_SERVICES_DAEMON_GRAPHDRIVER_DRIVER_H_
#define BERTH_SERVICES_DAEMON_GRAPHDRIVER_DRIVER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth {

// How a layer's own changes are stored, which tells the layer applier how
// to write whiteouts.
enum class LayerFormat {
  // vfs: the layer dir is the whole filesystem; a whiteout is a deletion.
  kFullCopy,
  // overlay: the diff dir holds only this layer's changes; whiteouts are
  // 0/0 char devices and opaque dirs carry trusted.overlay.opaque=y.
  kOverlayUpper,
};

// Stores image and container layers. Implementations are thread-safe.
class GraphDriver {
 public:
  virtual ~GraphDriver() = default;

  // "overlay" or "vfs".
  virtual std::string Name() const = 0;
  virtual LayerFormat Format() const = 0;

  // Creates layer `id` on `parent` ("" for a base layer). vfs: the new dir
  // starts as a full copy of the parent (modes, owners, times, symlinks,
  // hardlinks within the tree, xattrs, device nodes). overlay: an empty
  // diff dir plus the recorded chain of lower layers.
  // InvalidArgument for a malformed id, AlreadyExists when `id` exists,
  // NotFound when `parent` does not.
  virtual absl::Status Create(const std::string& id,
                              const std::string& parent) = 0;

  // Puts layer `id`, made by Create(id, "") and not used since, on
  // `parent`, as if Create(id, parent) had made it. Only drivers of
  // kOverlayUpper format can: their diff dir holds the layer's own changes,
  // so a layer tar can be applied before its parent is known (docker load
  // applies a layer while it streams in, before the manifest names its
  // parent). The others answer Unimplemented. FailedPrecondition when `id`
  // already has a parent, NotFound when either layer does not exist.
  virtual absl::Status SetParent(const std::string& id,
                                 const std::string& parent) {
    return absl::UnimplementedError(
        Name() +
        " layers are full copies: a layer's parent is set when it "
        "is created");
  }
  // Where a layer tar for `id` is applied.
  virtual std::string DiffDir(const std::string& id) const = 0;

  // The layer's full filesystem view for a container rootfs or an export.
  // Reference counted: overlay mounts on the first Get and unmounts on the
  // last Put (a base layer needs no mount: its diff dir is returned). vfs
  // returns its dir.
  virtual absl::StatusOr<std::string> Get(const std::string& id) = 0;
  virtual absl::Status Put(const std::string& id) = 0;

  // Removes the layer, unmounting it if needed. Removing a missing layer is
  // OK. The driver does not track children: callers must not remove a
  // layer other layers are built on.
  virtual absl::Status Remove(const std::string& id) = 0;

  virtual bool Exists(const std::string& id) const = 0;

  // The diff dirs `id` is layered on, nearest first, as overlayfs'
  // lowerdir= lists them: what an overlay layer's own changes are
  // relative to (docker diff reads a container's upper dir against
  // them). Empty for a base layer. Only drivers of kOverlayUpper format
  // have them; the others answer Unimplemented.
  virtual absl::StatusOr<std::vector<std::string>> LowerDirs(
      const std::string& id) const {
    return absl::UnimplementedError(
        Name() + " layers are full copies: they have no lower dirs");
  }

  // Key/value rows for `docker info`'s DriverStatus, e.g.
  // {"Backing Filesystem", "extfs"}, {"Supports d_type", "true"}.
  virtual std::vector<std::pair<std::string, std::string>> Status() const = 0;
};

// OK when `id` can name a layer: non-empty, at most 255 bytes, not "." or
// "..", and free of '/', ',', ':' and NUL (the last two would break overlay
// mount options).
absl::Status ValidateLayerId(const std::string& id);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_GRAPHDRIVER_DRIVER_H_
