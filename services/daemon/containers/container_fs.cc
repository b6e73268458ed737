#include "services/daemon/containers/container_fs.h"

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "services/daemon/archive/archive_path.h"
#include "services/daemon/archive/changes_tar.h"
#include "services/daemon/archive/export_tar.h"
#include "services/daemon/archive/extract_path.h"
#include "services/daemon/archive/naive_changes.h"
#include "services/daemon/archive/overlay_changes.h"
#include "services/daemon/archive/whiteout.h"
#include "services/daemon/archive/write_layer.h"
#include "services/runtime/user.h"

namespace berth {
namespace {

// dockerd's answer for a path that is not there, naming the container as
// the user did; the archive library's other errors stay as they are.
absl::Status NotFoundInContainer(const absl::Status& status,
                                 const std::string& name,
                                 const std::string& path) {
  if (!absl::IsNotFound(status)) return status;
  return absl::NotFoundError(
      absl::StrCat("Could not find the file ", path, " in container ", name));
}

}  // namespace

absl::Status ContainerFs::WithFs(
    const std::string& name, absl::string_view operation,
    const std::function<absl::Status(const ContainerFsLease& lease)>& call) {
  BERTH_ASSIGN_OR_RETURN(ContainerFsLease lease,
                         core_->AcquireFs(name, operation));
  absl::Status status = call(lease);
  core_->ReleaseFs(lease);
  return status;
}

absl::StatusOr<std::vector<Change>> ContainerFs::Changes(
    const std::string& name) {
  std::vector<Change> changes;
  BERTH_RETURN_IF_ERROR(
      WithFs(name, "diff", [&](const ContainerFsLease& lease) -> absl::Status {
        std::string layer_dir = driver_->DiffDir(lease.layer);
        absl::StatusOr<std::vector<Change>> found;
        if (driver_->Format() == LayerFormat::kOverlayUpper) {
          // Only what the container wrote is read: its upper dir against
          // the layers below, without walking the image.
          BERTH_ASSIGN_OR_RETURN(std::vector<std::string> lowers,
                                 driver_->LowerDirs(lease.layer));
          found = OverlayChanges(layer_dir, lowers);
        } else {
          // A vfs layer is a full copy: compare it with the init layer's.
          found = NaiveChanges(layer_dir, driver_->DiffDir(lease.init_layer));
        }
        if (!found.ok()) return found.status();
        changes = std::move(*found);
        return absl::OkStatus();
      }));
  return changes;
}

absl::Status ContainerFs::Export(const std::string& name, ByteSink& out) {
  return WithFs(name, "export", [&](const ContainerFsLease& lease) {
    return WriteExportTar(lease.rootfs, out);
  });
}

absl::StatusOr<PathStat> ContainerFs::Stat(const std::string& name,
                                           const std::string& path) {
  PathStat stat;
  BERTH_RETURN_IF_ERROR(WithFs(
      name, "copy from", [&](const ContainerFsLease& lease) -> absl::Status {
        absl::StatusOr<PathStat> found = StatInRoot(lease.rootfs, path);
        if (!found.ok()) {
          return NotFoundInContainer(found.status(), name, path);
        }
        stat = std::move(*found);
        return absl::OkStatus();
      }));
  return stat;
}

absl::Status ContainerFs::Archive(
    const std::string& name, const std::string& path, ByteSink& out,
    const std::function<absl::Status(const PathStat&)>& on_stat) {
  return WithFs(name, "copy from", [&](const ContainerFsLease& lease) {
    return NotFoundInContainer(
        ArchiveFromRoot(lease.rootfs, path, out, on_stat), name, path);
  });
}

absl::Status ContainerFs::Extract(const v1::ArchivePutOptions& options,
                                  ByteSource& in) {
  return WithFs(
      options.id(), "copy to",
      [&](const ContainerFsLease& lease) -> absl::Status {
        // Its root is writable on the host; the container's is not.
        if (lease.detail.host_config().readonly_rootfs()) {
          return absl::InvalidArgumentError(
              "container rootfs is marked read-only");
        }
        ExtractOptions extract;
        extract.no_overwrite_dir_non_dir = options.no_overwrite_dir_non_dir();
        if (options.copy_uid_gid()) {
          // The user the container runs as, looked up in its own files.
          BERTH_ASSIGN_OR_RETURN(
              runtime::ResolvedUser user,
              runtime::ResolveUser(lease.rootfs, lease.detail.config().user()));
          extract.copy_uid_gid = true;
          extract.uid = user.uid;
          extract.gid = user.gid;
        }
        return NotFoundInContainer(
            ExtractToRoot(lease.rootfs, options.path(), in, extract),
            options.id(), options.path());
      });
}

absl::Status ContainerFs::WriteLayer(const ContainerFsLease& lease,
                                     ByteSink& out) {
  std::string layer_dir = driver_->DiffDir(lease.layer);
  if (driver_->Format() == LayerFormat::kOverlayUpper) {
    // The upper dir is the layer: its whiteouts become ".wh." files.
    return WriteLayerTar(layer_dir, WhiteoutMode::kOverlay, out);
  }
  BERTH_ASSIGN_OR_RETURN(
      std::vector<Change> changes,
      NaiveChanges(layer_dir, driver_->DiffDir(lease.init_layer)));
  return WriteChangesTar(layer_dir, changes, out);
}

}  // namespace berth
