#ifndef BERTH_SERVICES_ENGINE_ENGINE_SERVICE_H_
#define BERTH_SERVICES_ENGINE_ENGINE_SERVICE_H_

#include "proto/engine.grpc.pb.h"
#include "proto/job.grpc.pb.h"
#include "services/engine/engine_core.h"
#include "services/engine/events_protocol.h"

namespace berth {

// gRPC adapters over EngineCore.
class EngineServiceImpl final : public v1::Engine::Service {
 public:
  explicit EngineServiceImpl(EngineCore* core) : core_(core) {}

  grpc::Status Version(grpc::ServerContext*, const v1::VersionRequest*,
                       v1::VersionInfo* reply) override;
  grpc::Status Info(grpc::ServerContext*, const v1::InfoRequest*,
                    v1::SystemInfo* reply) override;
  grpc::Status Events(grpc::ServerContext* context,
                      const v1::EventsRequest* request,
                      grpc::ServerWriter<v1::Event>* writer) override;
  grpc::Status Log(grpc::ServerContext*, const v1::LogRequest* request,
                   v1::LogReply* reply) override;
  grpc::Status SubscribersCount(grpc::ServerContext*,
                                const v1::SubscribersCountRequest*,
                                v1::SubscribersCountReply* reply) override;
  grpc::Status Shutdown(grpc::ServerContext*, const v1::ShutdownRequest*,
                        v1::ShutdownReply* reply) override;

 private:
  EngineCore* core_;
};

class RegistryServiceImpl final : public v1::Registry::Service {
 public:
  explicit RegistryServiceImpl(EngineCore* core) : core_(core) {}

  grpc::Status Register(grpc::ServerContext* context,
                        const v1::RegisterRequest* request,
                        grpc::ServerWriter<v1::RegisterEvent>* writer) override;
  grpc::Status Commands(grpc::ServerContext*, const v1::CommandsRequest*,
                        v1::CommandsReply* reply) override;
  grpc::Status Resolve(grpc::ServerContext*, const v1::ResolveRequest* request,
                       v1::ResolveReply* reply) override;

 private:
  EngineCore* core_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_ENGINE_ENGINE_SERVICE_H_
