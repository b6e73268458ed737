#ifndef BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_STORE_H_
#define BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_STORE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/volume.pb.h"
#include "services/daemon/graphdriver/mount_ops.h"
#include "services/daemon/volumes/volume_filter.h"

namespace berth {

using VolumeFilters = VolumeFilter::Filters;
using StringMap = std::map<std::string, std::string>;

// Docker's `local` volume driver, and the daemon's one record of who uses
// which volume. Thread-safe.
//
// On disk, under `root` (<data-root>/volumes):
//   <name>/_data        the volume's content, and its mount point when it
//                       has mount options
//   <name>/volume.json  name, driver, labels, options, CreatedAt; written
//                       once, before the volume becomes visible
//   .tmp-* .trash-*     a creation or removal in progress; swept at start
// A volume appears by renaming a complete .tmp-* directory into place and
// disappears by renaming it to .trash-* first, so a crash never leaves a
// half-made or half-removed volume under a volume's name.
//
// Users: a volume is "in use" while at least one container holds it
// (Acquire/Release). Docker counts a container as a user from its
// creation until its removal, stopped or not, so the container half
// should Acquire at create and Release at removal. References live only
// in memory: after a daemon restart, the container half must Acquire
// again for every container it restores, before the API serves requests,
// or `volume rm`/`volume prune` would take volumes containers still use.
// A mounted volume stays mounted across daemon restarts (Restore adopts
// the mount), so re-acquiring does not remount it.
class VolumeStore {
 public:
  // `mounts` does the mount syscalls of volumes with options (tmpfs, bind,
  // nfs...); it must outlive the store. Null: the real syscalls.
  explicit VolumeStore(std::string root, MountOps* mounts = nullptr);

  // Creates `root` if needed, sweeps interrupted creations and removals,
  // loads every volume and notes which are still mounted.
  absl::Status Restore();

  // `docker volume create`. Empty `name`: an anonymous volume with a
  // random 64-hex name. `driver` "" or "local"; anything else is
  // NotFound, as dockerd answers for a missing plugin. `opts` are the
  // local driver's: type, device, o (size is refused: no quota support).
  // An existing name is returned as it is (labels are not changed, as in
  // Docker) unless `opts` are given and differ from its own: Aborted
  // (HTTP 409). Invalid name or option: InvalidArgument.
  absl::StatusOr<v1::Volume> Create(const std::string& name,
                                    const std::string& driver,
                                    const StringMap& labels,
                                    const StringMap& opts);

  // NotFound "get NAME: no such volume".
  absl::StatusOr<v1::Volume> Inspect(const std::string& name);

  // Filters: dangling (true/false, 1/0), driver, label (key or key=value,
  // all must match), name (a substring or regular expression). Sorted by
  // name. Unknown filter: InvalidArgument.
  absl::StatusOr<std::vector<v1::Volume>> List(const VolumeFilters& filters);

  // Removes the volume and its data. In use: Aborted (HTTP 409) "remove
  // NAME: volume is in use - [ID, ...]", with or without `force`. Missing:
  // NotFound, or OK with `force`.
  absl::Status Remove(const std::string& name, bool force);

  // Removes every unused volume that the filters select (label, label!,
  // all). Without all=true only anonymous volumes are candidates, as
  // since Docker 23 (the gateway adds all=true for API < 1.42).
  absl::StatusOr<v1::PruneVolumesReply> Prune(const VolumeFilters& filters);

  // Every volume with its size (bytes under _data) and user count, for
  // `docker system df`; volumes_size() is the count, total_size the bytes.
  absl::StatusOr<v1::VolumeDiskUsageReply> DiskUsage();

  // Takes a reference on volume `name` for `container_id` and returns the
  // volume; its mountpoint is the host directory to bind into the
  // container. A missing `name` is created (no labels, no options), as
  // `docker run -v name:/path` does; an empty `name` creates an anonymous
  // volume, so creation and reference are one step that a concurrent
  // prune cannot split. A volume with mount options is mounted on its
  // first reference. Acquiring again for the same container is a no-op.
  absl::StatusOr<v1::Volume> Acquire(const std::string& name,
                                     const std::string& container_id);

  // Drops `container_id`'s reference; the last one unmounts a volume with
  // mount options. Releasing a reference not held is OK (cleanup paths
  // may release twice). Missing volume: NotFound.
  absl::Status Release(const std::string& name,
                       const std::string& container_id);

  // Docker's copy-up: fills the volume from `source_dir` (the image's
  // content at the mount path) if the volume is empty, keeping owners,
  // modes, times, symlinks, hardlinks, device nodes and xattrs; the
  // volume's root takes the source directory's owner and mode. Returns
  // whether it copied: false for a volume that already has content or a
  // source that does not exist. The caller must hold a reference
  // (FailedPrecondition otherwise), so the volume is mounted and cannot be
  // removed meanwhile. Concurrent copy-ups into one volume copy once.
  absl::StatusOr<bool> CopyUp(const std::string& name,
                              const std::string& source_dir);

  // The containers holding `name`, sorted; empty for a missing volume.
  std::vector<std::string> Users(const std::string& name);

 private:
  struct Entry {
    v1::Volume volume;
    std::set<std::string> users;
    // Its _data has the volume's filesystem mounted on it.
    bool mounted = false;
  };

  std::string VolumeDir(const std::string& name) const;
  std::string DataDir(const std::string& name) const;
  // Loads <root>/<name>; adopts a directory without metadata.
  absl::StatusOr<Entry> Load(const std::string& name);
  // `name` is valid and not taken.
  absl::StatusOr<v1::Volume> CreateLocked(const std::string& name,
                                          const StringMap& labels,
                                          const StringMap& opts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status MountLocked(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status UnmountLocked(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unmounts `name` if needed and renames its directory to a .trash-*
  // one, which it returns; the caller removes that outside the lock.
  absl::StatusOr<std::string> DetachLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string root_;
  SystemMountOps system_mounts_;
  MountOps* const mounts_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> volumes_ ABSL_GUARDED_BY(mu_);
  // Serializes copy-ups: two containers starting on one fresh volume must
  // not both find it empty.
  absl::Mutex copy_mu_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_STORE_H_
