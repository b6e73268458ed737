#include "gateway/gateway_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/container_fs_routes.h"
#include "gateway/container_routes.h"
#include "gateway/disk_usage_route.h"
#include "gateway/exec_routes.h"
#include "gateway/image_routes.h"
#include "gateway/network_routes.h"
#include "gateway/system_routes.h"
#include "gateway/volume_routes.h"
#include "glog/logging.h"
#include "lib/config/config.h"
#include "lib/rpc/channels.h"
#include "lib/rpc/status.h"
#include "lib/version/version.h"

namespace berth::gateway {

GatewayCore::GatewayCore(const v1::DaemonConfig& config)
    : config_(config), resolver_(UnixTarget(ServiceSocket(config, "engine"))) {}

GatewayCore::~GatewayCore() { Stop(); }

absl::StatusOr<v1::ServeApiReply> GatewayCore::ServeApi(
    const v1::ServeApiRequest& request) {
  if (request.hosts().empty()) {
    return absl::InvalidArgumentError("serveapi needs at least one host");
  }
  absl::MutexLock lock(&mu_);
  std::string settings = request.tls().SerializeAsString() + "\n" +
                         request.cors_header() + "\n" + request.socket_group();
  if (server_ == nullptr) {
    RouterConfig router_config;
    router_config.min_api_version = kMinApiVersion;
    router_config.max_api_version = kApiVersion;
    ServerConfig server_config{Router(router_config)};
    absl::Status routes = AddSystemRoutes(server_config.router, &resolver_);
    if (routes.ok()) routes = AddImageRoutes(server_config.router, &resolver_);
    if (routes.ok()) {
      routes = AddContainerRoutes(server_config.router, &resolver_);
    }
    if (routes.ok()) routes = AddExecRoutes(server_config.router, &resolver_);
    if (routes.ok()) {
      routes = AddContainerFsRoutes(server_config.router, &resolver_);
    }
    if (routes.ok()) {
      routes = AddDiskUsageRoute(server_config.router, &resolver_);
    }
    if (routes.ok()) routes = AddVolumeRoutes(server_config.router, &resolver_);
    if (routes.ok()) {
      routes = AddNetworkRoutes(server_config.router, &resolver_);
    }
    if (!routes.ok()) return routes;
    if (request.tls().enabled()) {
      server_config.tls =
          TlsConfig{request.tls().ca_cert(), request.tls().cert(),
                    request.tls().key(), request.tls().verify()};
    }
    server_config.allow_insecure_tcp = request.tls().explicitly_disabled();
    server_config.cors_header = request.cors_header();
    server_config.socket_group = request.socket_group();
    server_config.socket_group_explicit = request.socket_group_explicit();
    server_config.gate = &gate_;
    server_config.default_headers = DefaultHeaders();
    server_ = std::make_unique<Server>(std::move(server_config));
    server_->Start();
    server_settings_ = settings;
  } else if (settings != server_settings_) {
    return absl::FailedPreconditionError(
        "serveapi was already called with other TLS, CORS or group settings");
  }
  v1::ServeApiReply reply;
  for (const std::string& host : request.hosts()) {
    absl::StatusOr<std::string> listening = server_->Listen(host);
    if (!listening.ok()) {
      return absl::Status(
          listening.status().code(),
          absl::StrCat("listen on ", host, ": ", listening.status().message()));
    }
    LOG(INFO) << "API listening on " << *listening;
    reply.add_listening(*listening);
  }
  return reply;
}

void GatewayCore::AcceptConnections() {
  gate_.Open();
  LOG(INFO) << "accepting API connections";
}

void GatewayCore::Stop() {
  absl::MutexLock lock(&mu_);
  if (server_ != nullptr) server_->Stop();
}

std::vector<HandlerSpec> GatewayCore::Jobs() {
  auto serveapi = [this](Job& job) -> absl::Status {
    v1::ServeApiRequest request;
    for (const std::string& host : job.args()) request.add_hosts(host);
    *request.mutable_tls() = config_.tls();
    request.set_cors_header(config_.api_cors_header());
    request.set_socket_group(config_.socket_group());
    request.set_socket_group_explicit(config_.socket_group_explicit());
    const Env& env = job.env();
    if (env.Exists("Tls"))
      request.mutable_tls()->set_enabled(env.GetBool("Tls"));
    if (env.Exists("TlsVerify")) {
      request.mutable_tls()->set_verify(env.GetBool("TlsVerify"));
      if (env.GetBool("TlsVerify")) request.mutable_tls()->set_enabled(true);
    }
    if (env.Exists("TlsCa"))
      request.mutable_tls()->set_ca_cert(env.Get("TlsCa"));
    if (env.Exists("TlsCert"))
      request.mutable_tls()->set_cert(env.Get("TlsCert"));
    if (env.Exists("TlsKey")) request.mutable_tls()->set_key(env.Get("TlsKey"));
    if (env.Exists("CorsHeaders"))
      request.set_cors_header(env.Get("CorsHeaders"));
    if (env.Exists("SocketGroup")) {
      request.set_socket_group(env.Get("SocketGroup"));
      request.set_socket_group_explicit(true);
    }
    absl::StatusOr<v1::ServeApiReply> reply = ServeApi(request);
    if (!reply.ok()) return reply.status();
    job.Stdout().Write(absl::StrJoin(reply->listening(), "\n") + "\n");
    return absl::OkStatus();
  };
  auto accept = [this](Job&) {
    AcceptConnections();
    return absl::OkStatus();
  };
  return {{"serveapi", serveapi}, {"acceptconnections", accept}};
}

grpc::Status GatewayServiceImpl::ServeApi(grpc::ServerContext*,
                                          const v1::ServeApiRequest* request,
                                          v1::ServeApiReply* reply) {
  absl::StatusOr<v1::ServeApiReply> served = core_->ServeApi(*request);
  if (!served.ok()) return ToGrpcStatus(served.status());
  *reply = *served;
  return grpc::Status::OK;
}

grpc::Status GatewayServiceImpl::AcceptConnections(
    grpc::ServerContext*, const v1::AcceptConnectionsRequest*,
    v1::AcceptConnectionsReply*) {
  core_->AcceptConnections();
  return grpc::Status::OK;
}

}  // namespace berth::gateway
