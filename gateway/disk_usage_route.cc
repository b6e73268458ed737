#include "gateway/disk_usage_route.h"

#include "absl/container/flat_hash_map.h"
#include "gateway/container_call.h"
#include "gateway/http_status.h"
#include "lib/docker/container_json.h"
#include "lib/docker/image_json.h"
#include "proto/image.grpc.pb.h"
#include "proto/volume.grpc.pb.h"
#include "services/daemon/volumes/volume_json.h"

namespace berth::gateway {

absl::Status AddDiskUsageRoute(Router& router, ServiceResolver* resolver) {
  return router.Add(
      "GET", "/system/df", [resolver](Request&, ResponseWriter& writer) {
        absl::StatusOr<v1::DiskUsageReply> images =
            CallOwner<v1::ImageService, v1::DiskUsageReply>(
                resolver, "images",
                [](v1::ImageService::Stub& stub, grpc::ClientContext* context,
                   v1::DiskUsageReply* out) {
                  return stub.DiskUsage(context, v1::DiskUsageRequest(), out);
                });
        if (!images.ok()) return SendStatus(writer, images.status());
        v1::ListContainersRequest list;
        list.set_all(true);
        list.set_size(true);
        absl::StatusOr<v1::ListContainersReply> containers =
            ContainerCall<v1::ListContainersReply>(resolver,
                                                   &ContainerStub::List, list);
        if (!containers.ok()) return SendStatus(writer, containers.status());
        absl::StatusOr<v1::VolumeDiskUsageReply> volumes =
            CallOwner<v1::VolumeService, v1::VolumeDiskUsageReply>(
                resolver, "volumes",
                [](v1::VolumeService::Stub& stub, grpc::ClientContext* context,
                   v1::VolumeDiskUsageReply* out) {
                  return stub.DiskUsage(context, v1::VolumeDiskUsageRequest(),
                                        out);
                });
        if (!volumes.ok()) return SendStatus(writer, volumes.status());

        // Each image's container count, which only the containers know.
        absl::flat_hash_map<std::string, int> users;
        for (const v1::ContainerSummary& container : containers->containers()) {
          ++users[container.image_id()];
        }
        for (v1::ImageSummary& image : *images->mutable_images()) {
          image.set_containers(users[image.id()]);
        }
        nlohmann::json out = DiskUsageJson(*images);
        out["Containers"] =
            nlohmann::json::parse(ContainerListJson(*containers));
        nlohmann::json volume_list = nlohmann::json::array();
        for (const v1::Volume& volume : volumes->volumes()) {
          volume_list.push_back(VolumeJson(volume));
        }
        out["Volumes"] = volume_list;
        writer.SendJson(200, out);
      });
}

}  // namespace berth::gateway
