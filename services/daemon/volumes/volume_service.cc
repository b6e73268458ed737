#include "services/daemon/volumes/volume_service.h"

#include "lib/base/status_macros.h"
#include "lib/docker/filters.h"
#include "lib/job/job_output.h"
#include "lib/rpc/status.h"
#include "services/daemon/volumes/volume_json.h"

namespace berth {
namespace {

StringMap ToStringMap(
    const google::protobuf::Map<std::string, std::string>& map) {
  return StringMap(map.begin(), map.end());
}

absl::StatusOr<v1::Volume> Create(VolumeStore* store,
                                  const v1::CreateVolumeRequest& request) {
  return store->Create(request.name(), request.driver(),
                       ToStringMap(request.labels()),
                       ToStringMap(request.driver_opts()));
}

absl::StatusOr<v1::ListVolumesReply> List(
    VolumeStore* store, const v1::ListVolumesRequest& request) {
  BERTH_ASSIGN_OR_RETURN(std::vector<v1::Volume> volumes,
                         store->List(request.filters()));
  v1::ListVolumesReply reply;
  for (v1::Volume& volume : volumes) *reply.add_volumes() = std::move(volume);
  return reply;
}

}  // namespace

grpc::Status VolumeServiceImpl::CreateVolume(
    grpc::ServerContext*, const v1::CreateVolumeRequest* request,
    v1::Volume* reply) {
  return AnswerWith(Create(store_, *request), reply);
}

grpc::Status VolumeServiceImpl::RemoveVolume(
    grpc::ServerContext*, const v1::RemoveVolumeRequest* request,
    v1::RemoveVolumeReply*) {
  return ToGrpcStatus(store_->Remove(request->name(), request->force()));
}

grpc::Status VolumeServiceImpl::ListVolumes(
    grpc::ServerContext*, const v1::ListVolumesRequest* request,
    v1::ListVolumesReply* reply) {
  return AnswerWith(List(store_, *request), reply);
}

grpc::Status VolumeServiceImpl::InspectVolume(grpc::ServerContext*,
                                              const v1::VolumeRequest* request,
                                              v1::Volume* reply) {
  return AnswerWith(store_->Inspect(request->name()), reply);
}

grpc::Status VolumeServiceImpl::PruneVolumes(
    grpc::ServerContext*, const v1::PruneVolumesRequest* request,
    v1::PruneVolumesReply* reply) {
  return AnswerWith(store_->Prune(request->filters()), reply);
}

grpc::Status VolumeServiceImpl::DiskUsage(grpc::ServerContext*,
                                          const v1::VolumeDiskUsageRequest*,
                                          v1::VolumeDiskUsageReply* reply) {
  return AnswerWith(store_->DiskUsage(), reply);
}

std::vector<HandlerSpec> VolumeJobs(VolumeStore* store) {
  auto create = [store](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 0, 1, "volume_create [NAME]"));
    // The same shape as the API body, so both go through one parser.
    nlohmann::json body = nlohmann::json::object();
    if (!job.args().empty()) body["Name"] = job.args()[0];
    if (job.env().Exists("Driver")) body["Driver"] = job.env().Get("Driver");
    BERTH_ASSIGN_OR_RETURN(body["DriverOpts"], job.env().GetJson("DriverOpts"));
    BERTH_ASSIGN_OR_RETURN(body["Labels"], job.env().GetJson("Labels"));
    BERTH_ASSIGN_OR_RETURN(v1::CreateVolumeRequest request,
                           CreateVolumeRequestFromJson(body));
    BERTH_ASSIGN_OR_RETURN(v1::Volume volume, Create(store, request));
    PrintJson(job, VolumeJson(volume));
    return absl::OkStatus();
  };
  auto remove = [store](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "volume_rm NAME"));
    return store->Remove(job.args()[0], job.env().GetBool("force"));
  };
  auto list = [store](Job& job) -> absl::Status {
    v1::ListVolumesRequest request;
    BERTH_RETURN_IF_ERROR(ParseDockerFilters(job.env().Get("filters"),
                                             request.mutable_filters()));
    BERTH_ASSIGN_OR_RETURN(v1::ListVolumesReply reply, List(store, request));
    PrintJson(job, VolumeListJson(reply));
    return absl::OkStatus();
  };
  auto inspect = [store](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "volume_inspect NAME"));
    BERTH_ASSIGN_OR_RETURN(v1::Volume volume, store->Inspect(job.args()[0]));
    PrintJson(job, VolumeJson(volume));
    return absl::OkStatus();
  };
  auto prune = [store](Job& job) -> absl::Status {
    v1::PruneVolumesRequest request;
    BERTH_RETURN_IF_ERROR(ParseDockerFilters(job.env().Get("filters"),
                                             request.mutable_filters()));
    BERTH_ASSIGN_OR_RETURN(v1::PruneVolumesReply reply,
                           store->Prune(request.filters()));
    PrintJson(job, VolumePruneJson(reply));
    return absl::OkStatus();
  };
  return {{"volume_create", create},
          {"volume_rm", remove},
          {"volumes", list},
          {"volume_inspect", inspect},
          {"volume_prune", prune}};
}

}  // namespace berth
