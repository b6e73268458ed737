#ifndef BERTH_SERVICES_DAEMON_GRAPHDRIVER_OVERLAY_DRIVER_H_
#define BERTH_SERVICES_DAEMON_GRAPHDRIVER_OVERLAY_DRIVER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/daemon/graphdriver/driver.h"
#include "services/daemon/graphdriver/mount_ops.h"

namespace berth {

// Layers as overlayfs upper dirs, under <root>/overlay:
//
//   <id>/diff    the layer's own changes (where its tar is applied)
//   <id>/link    the layer's short id, see l/
//   <id>/lower   "l/<short>:l/<short>:..." the parent chain, nearest first
//                (absent for a base layer)
//   <id>/work    overlayfs' workdir (not for a base layer)
//   <id>/merged  the mount point of the merged view (not for a base layer)
//   l/<short>    symlink to ../<id>/diff, 26 random [A-Z2-7] characters
//
// A layer's view is mounted with
// "lowerdir=<root>/overlay/l/A:...,upperdir=<id>/diff,workdir=<id>/work".
//
// Limitation: the kernel takes at most one page (4096 bytes on x86-64) of
// mount data. dockerd fits 128 layers by chdir'ing to <root>/overlay in a
// re-exec'd helper and passing relative l/ paths; berth is a multithreaded
// daemon that never chdirs, so it passes absolute l/ paths (about
// strlen(root) + 38 bytes a layer: about 65 layers under /var/lib/berth/
// graph). A chain whose mount data would not fit is refused with
// FailedPrecondition at Create (and at Get), naming the limit.
class OverlayDriver : public GraphDriver {
 public:
  // `root` (<data-root>/graph, absolute, without ',' or ':') gets
  // <root>/overlay and <root>/overlay/l. Does not probe for overlay
  // support: see CheckOverlaySupport.
  static absl::StatusOr<std::unique_ptr<OverlayDriver>> New(
      const std::string& root, std::unique_ptr<MountOps> mount_ops);

  // The most mount data the kernel accepts, terminating NUL included: one
  // page.
  static size_t MountDataLimit();

  std::string Name() const override { return "overlay"; }
  LayerFormat Format() const override { return LayerFormat::kOverlayUpper; }
  absl::Status Create(const std::string& id,
                      const std::string& parent) override;
  absl::Status SetParent(const std::string& id,
                         const std::string& parent) override;
  std::string DiffDir(const std::string& id) const override;
  absl::StatusOr<std::string> Get(const std::string& id) override;
  absl::Status Put(const std::string& id) override;
  absl::Status Remove(const std::string& id) override;
  bool Exists(const std::string& id) const override;
  absl::StatusOr<std::vector<std::string>> LowerDirs(
      const std::string& id) const override;
  std::vector<std::pair<std::string, std::string>> Status() const override;

 private:
  OverlayDriver(std::string home, std::unique_ptr<MountOps> mount_ops,
                std::string backing_fs, bool d_type)
      : home_(std::move(home)),
        mount_ops_(std::move(mount_ops)),
        backing_fs_(std::move(backing_fs)),
        d_type_(d_type) {}

  std::string LayerDir(const std::string& id) const;
  // The layer's lower file, "" for a base layer.
  absl::StatusOr<std::string> ReadLower(const std::string& id) const;
  // The mount data for layer `id` on the chain `lower`, or
  // FailedPrecondition when it does not fit in MountDataLimit().
  absl::StatusOr<std::string> MountData(const std::string& id,
                                        const std::string& lower) const;
  // Records `parent` as the lower chain of `id`, with the work and merged
  // dirs a layer with lower layers needs.
  absl::Status SetParentLocked(const std::string& id, const std::string& parent)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CreateLocked(const std::string& id, const std::string& parent,
                            const std::string& dir)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string home_;  // <root>/overlay
  const std::unique_ptr<MountOps> mount_ops_;
  const std::string backing_fs_;
  const bool d_type_;

  absl::Mutex mu_;
  // Get count of each layer in use.
  absl::flat_hash_map<std::string, int> refs_ ABSL_GUARDED_BY(mu_);
};

// OK when overlay works under `root` (created if missing): trusted.*
// xattrs, d_type, and a real overlay mount in a scratch dir under root,
// which is unmounted and removed again. FailedPrecondition saying what is
// missing otherwise.
absl::Status CheckOverlaySupport(const std::string& root, MountOps& ops);

// CheckOverlaySupport with the real syscalls; chooses the default driver.
bool OverlaySupported(const std::string& root);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_GRAPHDRIVER_OVERLAY_DRIVER_H_
