#include "services/engine/engine_service.h"

#include "glog/logging.h"
#include "lib/rpc/status.h"
#include "services/engine/event_stream.h"

namespace berth {

grpc::Status EngineServiceImpl::Version(grpc::ServerContext*,
                                        const v1::VersionRequest*,
                                        v1::VersionInfo* reply) {
  *reply = core_->Version();
  return grpc::Status::OK;
}

grpc::Status EngineServiceImpl::Info(grpc::ServerContext*,
                                     const v1::InfoRequest*,
                                     v1::SystemInfo* reply) {
  *reply = core_->Info();
  return grpc::Status::OK;
}

grpc::Status EngineServiceImpl::Events(grpc::ServerContext* context,
                                       const v1::EventsRequest* request,
                                       grpc::ServerWriter<v1::Event>* writer) {
  return ToGrpcStatus(StreamEvents(
      core_->events(), *request,
      [writer](const v1::Event& event) { return writer->Write(event); },
      [context] { return context->IsCancelled(); },
      [context, writer] {
        // Headers at once, marked so a caller can tell a started stream
        // from an early error: HTTP callers answer 200 on it.
        context->AddInitialMetadata(std::string(kEventsStartedKey), "1");
        writer->SendInitialMetadata();
      }));
}

grpc::Status EngineServiceImpl::Log(grpc::ServerContext*,
                                    const v1::LogRequest* request,
                                    v1::LogReply* reply) {
  *reply->mutable_event() = core_->Log(request->event());
  return grpc::Status::OK;
}

grpc::Status EngineServiceImpl::SubscribersCount(
    grpc::ServerContext*, const v1::SubscribersCountRequest*,
    v1::SubscribersCountReply* reply) {
  reply->set_count(core_->events().SubscribersCount());
  return grpc::Status::OK;
}

grpc::Status EngineServiceImpl::Shutdown(grpc::ServerContext*,
                                         const v1::ShutdownRequest*,
                                         v1::ShutdownReply* reply) {
  LOG(INFO) << "engine shutdown requested";
  *reply = core_->Shutdown();
  LOG(INFO) << "engine shutdown done: " << reply->abandoned_jobs()
            << " job(s) abandoned"
            << (reply->handlers_timed_out() ? ", handlers timed out" : "");
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::Register(
    grpc::ServerContext* context, const v1::RegisterRequest* request,
    grpc::ServerWriter<v1::RegisterEvent>* writer) {
  absl::StatusOr<uint64_t> token = core_->RegisterRemote(*request);
  if (!token.ok()) {
    LOG(ERROR) << "registration of " << request->service()
               << " refused: " << token.status();
    return ToGrpcStatus(token.status());
  }
  LOG(INFO) << "service " << request->service() << " registered "
            << request->handlers_size() << " job(s) at " << request->address();
  v1::RegisterEvent accepted;
  accepted.set_accepted(true);
  writer->Write(accepted);
  // The registration lasts while the service holds this call open.
  while (!context->IsCancelled() &&
         !core_->WaitShutdown(absl::Milliseconds(100))) {
  }
  core_->Unregister(request->service(), *token);
  LOG(INFO) << "service " << request->service() << " unregistered";
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::Commands(grpc::ServerContext*,
                                           const v1::CommandsRequest*,
                                           v1::CommandsReply* reply) {
  *reply = core_->Commands();
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::Resolve(grpc::ServerContext*,
                                          const v1::ResolveRequest* request,
                                          v1::ResolveReply* reply) {
  absl::StatusOr<v1::ResolveReply> resolved = core_->Resolve(request->name());
  if (!resolved.ok()) return ToGrpcStatus(resolved.status());
  *reply = *resolved;
  return grpc::Status::OK;
}

}  // namespace berth
