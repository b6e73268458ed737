#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_SERVICE_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_SERVICE_H_

#include <vector>

#include "lib/job/handler_registry.h"
#include "proto/container.grpc.pb.h"
#include "services/daemon/containers/container_core.h"

namespace berth {

// gRPC adapter over ContainerCore.
class ContainerServiceImpl final : public v1::ContainerService::Service {
 public:
  explicit ContainerServiceImpl(ContainerCore* core) : core_(core) {}

  grpc::Status Create(grpc::ServerContext*,
                      const v1::CreateContainerRequest* request,
                      v1::CreateContainerReply* reply) override;
  grpc::Status Start(grpc::ServerContext*, const v1::ContainerRef* request,
                     v1::StartContainerReply* reply) override;
  grpc::Status Stop(grpc::ServerContext*,
                    const v1::StopContainerRequest* request,
                    v1::StopContainerReply* reply) override;
  grpc::Status Restart(grpc::ServerContext*,
                       const v1::StopContainerRequest* request,
                       v1::Empty*) override;
  grpc::Status Kill(grpc::ServerContext*,
                    const v1::KillContainerRequest* request,
                    v1::Empty*) override;
  grpc::Status Wait(grpc::ServerContext* context,
                    const v1::WaitContainerRequest* request,
                    v1::WaitContainerReply* reply) override;
  grpc::Status Remove(grpc::ServerContext*,
                      const v1::RemoveContainerRequest* request,
                      v1::Empty*) override;
  grpc::Status List(grpc::ServerContext*,
                    const v1::ListContainersRequest* request,
                    v1::ListContainersReply* reply) override;
  grpc::Status Inspect(grpc::ServerContext*, const v1::ContainerRef* request,
                       v1::ContainerDetail* reply) override;
  grpc::Status Logs(grpc::ServerContext* context,
                    const v1::LogsRequest* request,
                    grpc::ServerWriter<v1::LogsReply>* writer) override;
  grpc::Status Attach(grpc::ServerContext* context,
                      const v1::AttachRequest* request,
                      grpc::ServerWriter<v1::AttachEvent>* writer) override;
  grpc::Status Resize(grpc::ServerContext*, const v1::ResizeRequest* request,
                      v1::Empty*) override;

 private:
  ContainerCore* core_;
};

// The seed's container jobs over the same ContainerCore: create, start,
// stop, kill, restart, wait, delete, containers, container_inspect, logs,
// resize.
std::vector<HandlerSpec> ContainerJobs(ContainerCore* core);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_SERVICE_H_
