#include "gateway/volume_routes.h"

#include "gateway/http/api_version.h"
#include "gateway/http_status.h"
#include "grpcpp/client_context.h"
#include "lib/base/status_macros.h"
#include "lib/docker/filters.h"
#include "proto/volume.grpc.pb.h"
#include "services/daemon/volumes/volume_json.h"

namespace berth::gateway {
namespace {

// A unary call to the volume service. No deadline: removing or pruning
// big volumes takes as long as the disk does.
template <typename Reply, typename Call>
absl::StatusOr<Reply> Unary(ServiceResolver* resolver, Call call) {
  return CallOwner<v1::VolumeService, Reply>(resolver, "volumes", call);
}

void List(ServiceResolver* resolver, Request& request, ResponseWriter& writer) {
  v1::ListVolumesRequest list;
  absl::Status filters =
      ParseDockerFilters(request.Query("filters"), list.mutable_filters());
  if (!filters.ok()) return SendStatus(writer, filters);
  absl::StatusOr<v1::ListVolumesReply> reply = Unary<v1::ListVolumesReply>(
      resolver, [&](v1::VolumeService::Stub& stub, grpc::ClientContext* context,
                    v1::ListVolumesReply* out) {
        return stub.ListVolumes(context, list, out);
      });
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(200, VolumeListJson(*reply));
}

void Create(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  nlohmann::json body;
  if (!request.body.empty()) {
    body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded()) {
      return writer.SendError(400,
                              "invalid volume create body: not valid JSON");
    }
  }
  absl::StatusOr<v1::CreateVolumeRequest> create =
      CreateVolumeRequestFromJson(body);
  if (!create.ok()) return SendStatus(writer, create.status());
  absl::StatusOr<v1::Volume> reply = Unary<v1::Volume>(
      resolver, [&](v1::VolumeService::Stub& stub, grpc::ClientContext* context,
                    v1::Volume* out) {
        return stub.CreateVolume(context, *create, out);
      });
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(201, VolumeJson(*reply));
}

void Inspect(ServiceResolver* resolver, Request& request,
             ResponseWriter& writer) {
  v1::VolumeRequest inspect;
  inspect.set_name(request.Param("name"));
  absl::StatusOr<v1::Volume> reply = Unary<v1::Volume>(
      resolver, [&](v1::VolumeService::Stub& stub, grpc::ClientContext* context,
                    v1::Volume* out) {
        return stub.InspectVolume(context, inspect, out);
      });
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(200, VolumeJson(*reply));
}

void Remove(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  v1::RemoveVolumeRequest remove;
  remove.set_name(request.Param("name"));
  remove.set_force(request.QueryBool("force"));
  absl::StatusOr<v1::RemoveVolumeReply> reply = Unary<v1::RemoveVolumeReply>(
      resolver, [&](v1::VolumeService::Stub& stub, grpc::ClientContext* context,
                    v1::RemoveVolumeReply* out) {
        return stub.RemoveVolume(context, remove, out);
      });
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.Send(204, {}, "");
}

void Prune(ServiceResolver* resolver, Request& request,
           ResponseWriter& writer) {
  v1::PruneVolumesRequest prune;
  absl::Status filters =
      ParseDockerFilters(request.Query("filters"), prune.mutable_filters());
  if (!filters.ok()) return SendStatus(writer, filters);
  // Before API 1.42 prune took every unused volume; dockerd keeps that
  // for old clients by asking for all of them.
  if (ApiVersionLess(request.effective_api_version, "1.42") &&
      !prune.filters().contains("all")) {
    (*prune.mutable_filters())["all"].add_values("true");
  }
  absl::StatusOr<v1::PruneVolumesReply> reply = Unary<v1::PruneVolumesReply>(
      resolver, [&](v1::VolumeService::Stub& stub, grpc::ClientContext* context,
                    v1::PruneVolumesReply* out) {
        return stub.PruneVolumes(context, prune, out);
      });
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(200, VolumePruneJson(*reply));
}

}  // namespace

absl::Status AddVolumeRoutes(Router& router, ServiceResolver* resolver) {
  BERTH_RETURN_IF_ERROR(router.Add(
      "GET", "/volumes", [resolver](Request& request, ResponseWriter& writer) {
        List(resolver, request, writer);
      }));
  BERTH_RETURN_IF_ERROR(
      router.Add("POST", "/volumes/create",
                 [resolver](Request& request, ResponseWriter& writer) {
                   Create(resolver, request, writer);
                 }));
  BERTH_RETURN_IF_ERROR(
      router.Add("POST", "/volumes/prune",
                 [resolver](Request& request, ResponseWriter& writer) {
                   Prune(resolver, request, writer);
                 }));
  BERTH_RETURN_IF_ERROR(
      router.Add("GET", "/volumes/{name}",
                 [resolver](Request& request, ResponseWriter& writer) {
                   Inspect(resolver, request, writer);
                 }));
  BERTH_RETURN_IF_ERROR(
      router.Add("DELETE", "/volumes/{name}",
                 [resolver](Request& request, ResponseWriter& writer) {
                   Remove(resolver, request, writer);
                 }));
  return absl::OkStatus();
}

}  // namespace berth::gateway
