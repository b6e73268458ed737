#ifndef BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_SERVICE_H_
#define BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_SERVICE_H_

#include <vector>

#include "lib/job/handler_registry.h"
#include "proto/volume.grpc.pb.h"
#include "services/daemon/volumes/volume_store.h"

namespace berth {

// gRPC adapter over VolumeStore.
class VolumeServiceImpl final : public v1::VolumeService::Service {
 public:
  explicit VolumeServiceImpl(VolumeStore* store) : store_(store) {}

  grpc::Status CreateVolume(grpc::ServerContext*,
                            const v1::CreateVolumeRequest* request,
                            v1::Volume* reply) override;
  grpc::Status RemoveVolume(grpc::ServerContext*,
                            const v1::RemoveVolumeRequest* request,
                            v1::RemoveVolumeReply* reply) override;
  grpc::Status ListVolumes(grpc::ServerContext*,
                           const v1::ListVolumesRequest* request,
                           v1::ListVolumesReply* reply) override;
  grpc::Status InspectVolume(grpc::ServerContext*,
                             const v1::VolumeRequest* request,
                             v1::Volume* reply) override;
  grpc::Status PruneVolumes(grpc::ServerContext*,
                            const v1::PruneVolumesRequest* request,
                            v1::PruneVolumesReply* reply) override;
  grpc::Status DiskUsage(grpc::ServerContext*,
                         const v1::VolumeDiskUsageRequest*,
                         v1::VolumeDiskUsageReply* reply) override;

 private:
  VolumeStore* store_;
};

// The volume jobs over the same VolumeStore, each printing Docker's JSON:
//   volume_create [NAME]  env Driver, DriverOpts and Labels (JSON objects)
//   volume_rm NAME        env force
//   volumes               env filters (Docker's filters JSON)
//   volume_inspect NAME
//   volume_prune          env filters (label, label!, all)
std::vector<HandlerSpec> VolumeJobs(VolumeStore* store);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_SERVICE_H_
