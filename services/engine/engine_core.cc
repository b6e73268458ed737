#include "services/engine/engine_core.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "grpcpp/client_context.h"
#include "lib/config/config.h"
#include "lib/job/job_client.h"
#include "proto/container.grpc.pb.h"
#include "proto/image.grpc.pb.h"
#include "services/engine/system_info.h"

namespace berth {

EngineCore::EngineCore(v1::DaemonConfig config, std::string engine_id,
                       DispatcherConfig dispatcher_config)
    : config_(std::move(config)),
      engine_id_(std::move(engine_id)),
      dispatcher_(&registry_, dispatcher_config) {
  absl::MutexLock lock(&mu_);
  addresses_[kEngineService] =
      UnixTarget(ServiceSocket(config_, kEngineService));
}

v1::VersionInfo EngineCore::Version() const { return CollectVersion(); }

v1::SystemInfo EngineCore::Info() {
  v1::SystemInfo info = CollectSystemInfo(config_, engine_id_);
  info.set_n_events_listener(events_.SubscribersCount());
  // The image store's part, from its owner while it is up; without it
  // the host's part still answers.
  absl::StatusOr<v1::ResolveReply> owner = Resolve("images");
  if (owner.ok()) {
    auto stub = v1::ImageService::NewStub(channels_.Get(owner->address()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::StoreInfoReply store;
    if (stub->StoreInfo(&context, v1::StoreInfoRequest(), &store).ok()) {
      info.set_images(store.images());
      info.set_storage_driver(store.driver());
      *info.mutable_driver_status() = store.driver_status();
    }
  }
  owner = Resolve("containers");
  if (owner.ok()) {
    auto stub = v1::ContainerService::NewStub(channels_.Get(owner->address()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::ContainerCounts counts;
    if (stub->Counts(&context, v1::Empty(), &counts).ok()) {
      info.set_containers(counts.total());
      info.set_containers_running(counts.running());
      info.set_containers_paused(counts.paused());
      info.set_containers_stopped(counts.stopped());
    }
  }
  return info;
}

v1::Event EngineCore::Log(v1::Event event) {
  if (event.type().empty()) event.set_type("container");
  if (!event.from().empty() && event.type() == "container" &&
      !event.attributes().contains("image")) {
    (*event.mutable_attributes())["image"] = event.from();
  }
  return events_.Publish(std::move(event));
}

absl::StatusOr<uint64_t> EngineCore::RegisterRemote(
    const v1::RegisterRequest& request) {
  if (stopping_.HasBeenNotified()) {
    return absl::UnavailableError("the engine is shutting down");
  }
  if (request.service().empty() || request.service() == kEngineService) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid service name '", request.service(), "'"));
  }
  if (request.address().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("service ", request.service(), " gave no address"));
  }
  std::shared_ptr<grpc::Channel> channel = channels_.Get(request.address());
  std::vector<HandlerSpec> specs;
  for (const v1::HandlerDecl& decl : request.handlers()) {
    specs.push_back({decl.name(),
                     MakeForwardingHandler(channel),
                     {decl.depends_on().begin(), decl.depends_on().end()}});
  }
  absl::StatusOr<uint64_t> token =
      registry_.RegisterService(request.service(), std::move(specs));
  if (!token.ok()) return token;
  absl::MutexLock lock(&mu_);
  addresses_[request.service()] = request.address();
  return token;
}

void EngineCore::Unregister(const std::string& service, uint64_t token) {
  registry_.Unregister(service, token);
}

v1::CommandsReply EngineCore::Commands() const {
  v1::CommandsReply reply;
  for (const CommandInfo& info : registry_.Commands()) {
    v1::Command* command = reply.add_commands();
    command->set_name(info.name);
    command->set_service(info.service);
    for (const std::string& dep : info.depends_on) command->add_depends_on(dep);
  }
  return reply;
}

absl::StatusOr<v1::ResolveReply> EngineCore::Resolve(
    const std::string& name) const {
  for (const CommandInfo& info : registry_.Commands()) {
    if (info.name != name) continue;
    absl::MutexLock lock(&mu_);
    v1::ResolveReply reply;
    reply.set_service(info.service);
    reply.set_address(addresses_.at(info.service));
    return reply;
  }
  return absl::NotFoundError(absl::StrCat("no such job: ", name));
}

v1::ShutdownReply EngineCore::Shutdown() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  // Endless event listeners are not work in flight: end their streams
  // first so they do not hold up the wait for running jobs.
  events_.CloseUnbounded();
  ShutdownResult result = dispatcher_.Shutdown();
  v1::ShutdownReply reply;
  reply.set_abandoned_jobs(result.abandoned_jobs);
  reply.set_handlers_timed_out(result.handlers_timed_out);
  return reply;
}

}  // namespace berth
