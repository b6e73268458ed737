#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_SERVICE_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_SERVICE_H_

#include <vector>

#include "lib/job/handler_registry.h"
#include "proto/container.grpc.pb.h"
#include "services/daemon/containers/container_core.h"
#include "services/daemon/containers/container_fs.h"
#include "services/daemon/containers/exec_core.h"

namespace berth {

// gRPC adapter over ContainerCore.
class ContainerServiceImpl final : public v1::ContainerService::Service {
 public:
  // `fs` and `images` serve diff, export, cp and commit.
  ContainerServiceImpl(ContainerCore* core, ExecCore* execs, ContainerFs* fs,
                       ImageCore* images)
      : core_(core), execs_(execs), fs_(fs), images_(images) {}

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
  grpc::Status Wait(
      grpc::ServerContext* context, const v1::WaitContainerRequest* request,
      grpc::ServerWriter<v1::WaitContainerReply>* writer) override;
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
  grpc::Status Pause(grpc::ServerContext*, const v1::ContainerRef* request,
                     v1::Empty*) override;
  grpc::Status Unpause(grpc::ServerContext*, const v1::ContainerRef* request,
                       v1::Empty*) override;
  grpc::Status Rename(grpc::ServerContext*, const v1::RenameRequest* request,
                      v1::Empty*) override;
  grpc::Status ConnectNetwork(grpc::ServerContext*,
                              const v1::NetworkConnectRequest* request,
                              v1::Empty*) override;
  grpc::Status DisconnectNetwork(grpc::ServerContext*,
                                 const v1::NetworkConnectRequest* request,
                                 v1::Empty*) override;
  grpc::Status Prune(grpc::ServerContext*,
                     const v1::PruneContainersRequest* request,
                     v1::PruneContainersReply* reply) override;
  grpc::Status Top(grpc::ServerContext*, const v1::TopRequest* request,
                   v1::TopReply* reply) override;
  grpc::Status Stats(grpc::ServerContext* context,
                     const v1::StatsRequest* request,
                     grpc::ServerWriter<v1::StatsReply>* writer) override;
  grpc::Status ExecCreate(grpc::ServerContext*,
                          const v1::ExecCreateRequest* request,
                          v1::ExecCreateReply* reply) override;
  grpc::Status ExecStart(grpc::ServerContext*,
                         const v1::ExecStartRequest* request,
                         v1::ExecStartReply* reply) override;
  grpc::Status ExecInspect(grpc::ServerContext*, const v1::ExecRef* request,
                           v1::ExecDetail* reply) override;
  grpc::Status ExecResize(grpc::ServerContext*,
                          const v1::ExecResizeRequest* request,
                          v1::Empty*) override;
  grpc::Status Counts(grpc::ServerContext*, const v1::Empty*,
                      v1::ContainerCounts* reply) override;
  grpc::Status Changes(grpc::ServerContext*, const v1::ContainerRef* request,
                       v1::ChangesReply* reply) override;
  grpc::Status Export(grpc::ServerContext*, const v1::ContainerRef* request,
                      grpc::ServerWriter<v1::ContainerData>* writer) override;
  grpc::Status ArchiveStat(grpc::ServerContext*,
                           const v1::ArchivePathRequest* request,
                           v1::PathStat* reply) override;
  grpc::Status ArchiveGet(
      grpc::ServerContext*, const v1::ArchivePathRequest* request,
      grpc::ServerWriter<v1::ArchiveChunk>* writer) override;
  grpc::Status ArchivePut(grpc::ServerContext*,
                          grpc::ServerReader<v1::ArchivePutInput>* reader,
                          v1::Empty*) override;
  grpc::Status Commit(grpc::ServerContext*, const v1::CommitRequest* request,
                      v1::CommitReply* reply) override;

 private:
  ContainerCore* core_;
  ExecCore* execs_;
  ContainerFs* fs_;
  ImageCore* images_;
};

// The seed's container jobs over the same cores: create, start, stop,
// kill, restart, wait, delete, containers, container_inspect, logs,
// resize, pause, unpause, rename, top, stats, containers_prune,
// exec_create, exec_start (detached), exec_inspect, exec_resize,
// container_changes, export, container_copy, commit.
std::vector<HandlerSpec> ContainerJobs(ContainerCore* core, ExecCore* execs,
                                       ContainerFs* fs, ImageCore* images);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_SERVICE_H_
