#include "services/daemon/containers/container_commit.h"

#include "absl/cleanup/cleanup.h"
#include "glog/logging.h"
#include "lib/base/status_macros.h"
#include "lib/docker/container_json.h"

namespace berth {

absl::StatusOr<v1::CommitReply> CommitContainer(
    ContainerCore& containers, ContainerFs& fs, ImageCore& images,
    const v1::CommitRequest& request) {
  ImageCommit commit;
  if (!request.config_json().empty()) {
    commit.config =
        nlohmann::json::parse(request.config_json(), nullptr, false);
    if (commit.config.is_discarded()) {
      return absl::InvalidArgumentError(
          "the commit's config is not valid JSON");
    }
  }
  BERTH_ASSIGN_OR_RETURN(ContainerFsLease lease,
                         containers.AcquireFs(request.id(), "commit"));
  absl::Cleanup release = [&] { containers.ReleaseFs(lease); };
  // Frozen, the container cannot change files while they are read. As
  // dockerd, a failed pause does not fail the commit.
  bool paused = false;
  if (request.pause() && lease.detail.state().status() == "running") {
    absl::Status status = containers.Pause(lease.id);
    paused = status.ok();
    if (!paused) {
      LOG(WARNING) << "commit " << lease.id.substr(0, 12)
                   << ": not paused: " << status;
    }
  }
  absl::Cleanup unpause = [&] {
    if (!paused) return;
    absl::Status status = containers.Unpause(lease.id);
    if (!status.ok()) {
      LOG(WARNING) << "commit " << lease.id.substr(0, 12)
                   << ": unpause: " << status;
    }
  };
  commit.parent_id = lease.detail.image_id();
  commit.container_id = lease.id;
  commit.container_config = ContainerConfigJson(lease.detail.config());
  commit.changes.assign(request.changes().begin(), request.changes().end());
  commit.comment = request.comment();
  commit.author = request.author();
  commit.repo = request.repo();
  commit.tag = request.tag();
  BERTH_ASSIGN_OR_RETURN(std::string id,
                         images.Commit(commit, [&](ByteSink& out) {
                           return fs.WriteLayer(lease, out);
                         }));
  LOG(INFO) << "committed container " << lease.id.substr(0, 12) << " as " << id;
  v1::CommitReply reply;
  reply.set_id(id);
  return reply;
}

}  // namespace berth
