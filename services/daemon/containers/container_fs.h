#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_FS_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_FS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/container.pb.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/byte_source.h"
#include "services/daemon/archive/change.h"
#include "services/daemon/archive/path_stat.h"
#include "services/daemon/containers/container_core.h"
#include "services/daemon/graphdriver/driver.h"

namespace berth {

// docker diff, cp and export: a container's filesystem, stopped or
// running, through the graph driver's view of its layer (ContainerCore
// holds it mounted meanwhile). Paths are resolved inside that view, as
// dockerd resolves them.
//
// Known limit: volumes, bind mounts and tmpfs mounted into the container
// are not part of that view: cp neither reads nor writes them (it sees
// the image's directory below the mount point), and diff and export
// leave them out, as Docker's do.
class ContainerFs {
 public:
  ContainerFs(ContainerCore* core, GraphDriver* driver)
      : core_(core), driver_(driver) {}

  // docker diff: what the container changed relative to its image,
  // Docker's mount targets (the "-init" layer) not included.
  absl::StatusOr<std::vector<Change>> Changes(const std::string& name);

  // docker export: a tar of the container's whole filesystem.
  absl::Status Export(const std::string& name, ByteSink& out);

  // HEAD /containers/{name}/archive. A missing path is NotFound with
  // dockerd's "Could not find the file PATH in container NAME".
  absl::StatusOr<PathStat> Stat(const std::string& name,
                                const std::string& path);

  // GET /containers/{name}/archive: the tar of `path`, its stat to
  // `on_stat` before the first byte (see ArchiveFromRoot).
  absl::Status Archive(
      const std::string& name, const std::string& path, ByteSink& out,
      const std::function<absl::Status(const PathStat&)>& on_stat);

  // PUT /containers/{name}/archive: the tar in `in` extracted into the
  // directory options.path(). A --read-only container refuses it
  // (InvalidArgument, as dockerd: "container rootfs is marked
  // read-only"); copy_uid_gid owns every entry by the container's user.
  absl::Status Extract(const v1::ArchivePutOptions& options, ByteSource& in);

  // docker commit's layer: the container's own changes as a layer tar,
  // relative to its init layer (so Docker's mount targets stay out).
  absl::Status WriteLayer(const ContainerFsLease& lease, ByteSink& out);

 private:
  // The call on the leased filesystem of container `name`, released
  // after; `operation` names it in refusals.
  absl::Status WithFs(
      const std::string& name, absl::string_view operation,
      const std::function<absl::Status(const ContainerFsLease& lease)>& call);

  ContainerCore* const core_;
  GraphDriver* const driver_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_FS_H_
