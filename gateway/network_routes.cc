#include "gateway/network_routes.h"

#include <optional>

#include "gateway/container_call.h"
#include "gateway/http/api_version.h"
#include "gateway/http_status.h"
#include "grpcpp/client_context.h"
#include "lib/base/status_macros.h"
#include "lib/docker/filters.h"
#include "lib/docker/network_json.h"
#include "proto/network.grpc.pb.h"

namespace berth::gateway {
namespace {

// berth-netd registers this job once its driver is up.
constexpr char kNetworkOwnerJob[] = "init_networkdriver";

using NetworkStub = v1::NetworkService::Stub;

// One unary NetworkService call, e.g.
// NetworkCall<v1::Network>(resolver, &NetworkStub::InspectNetwork, ref).
template <typename Reply, typename Request>
absl::StatusOr<Reply> NetworkCall(
    ServiceResolver* resolver,
    grpc::Status (NetworkStub::*method)(grpc::ClientContext*, const Request&,
                                        Reply*),
    const Request& request) {
  return CallOwner<v1::NetworkService, Reply>(
      resolver, kNetworkOwnerJob,
      [&](NetworkStub& stub, grpc::ClientContext* context, Reply* out) {
        return (stub.*method)(context, request, out);
      });
}

// The request's JSON body; answers 400 itself and returns nothing when it
// is not JSON. An empty body is null, which the parsers refuse as not an
// object, as dockerd refuses it.
std::optional<nlohmann::json> Body(Request& request, ResponseWriter& writer) {
  if (request.body.empty()) return nlohmann::json();
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) {
    writer.SendError(400, "invalid JSON in the request body");
    return std::nullopt;
  }
  return body;
}

void List(ServiceResolver* resolver, Request& request, ResponseWriter& writer) {
  v1::ListNetworksRequest list;
  absl::Status filters =
      ParseDockerFilters(request.Query("filters"), list.mutable_filters());
  if (!filters.ok()) return SendStatus(writer, filters);
  absl::StatusOr<v1::ListNetworksReply> reply =
      NetworkCall(resolver, &NetworkStub::ListNetworks, list);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  // Clients before 1.28 read the containers from the list.
  writer.SendJson(
      200, NetworkListJson(
               *reply, ApiVersionLess(request.effective_api_version, "1.28")));
}

// `verbose` and `scope` are ignored: berth has no swarm services to show
// and only local networks.
void Inspect(ServiceResolver* resolver, Request& request,
             ResponseWriter& writer) {
  v1::NetworkRef ref;
  ref.set_id(request.Param("id"));
  absl::StatusOr<v1::Network> reply =
      NetworkCall(resolver, &NetworkStub::InspectNetwork, ref);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(200, NetworkJson(*reply));
}

void Create(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  std::optional<nlohmann::json> body = Body(request, writer);
  if (!body) return;
  absl::StatusOr<v1::NetworkConfig> config = NetworkConfigFromJson(*body);
  if (!config.ok()) return SendStatus(writer, config.status());
  v1::CreateNetworkRequest create;
  *create.mutable_config() = *std::move(config);
  absl::StatusOr<v1::Network> reply =
      NetworkCall(resolver, &NetworkStub::CreateNetwork, create);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(201, NetworkCreateJson(*reply));
}

void Remove(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  v1::NetworkRef ref;
  ref.set_id(request.Param("id"));
  absl::StatusOr<v1::RemoveNetworkReply> reply =
      NetworkCall(resolver, &NetworkStub::RemoveNetwork, ref);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.Send(204, {}, "");
}

void Prune(ServiceResolver* resolver, Request& request,
           ResponseWriter& writer) {
  v1::PruneNetworksRequest prune;
  absl::Status filters =
      ParseDockerFilters(request.Query("filters"), prune.mutable_filters());
  if (!filters.ok()) return SendStatus(writer, filters);
  absl::StatusOr<v1::PruneNetworksReply> reply =
      NetworkCall(resolver, &NetworkStub::PruneNetworks, prune);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(200, NetworkPruneJson(*reply));
}

void Connect(ServiceResolver* resolver, Request& request,
             ResponseWriter& writer) {
  std::optional<nlohmann::json> body = Body(request, writer);
  if (!body) return;
  absl::StatusOr<v1::NetworkConnectRequest> connect =
      NetworkConnectFromJson(*body, request.Param("id"));
  if (!connect.ok()) return SendStatus(writer, connect.status());
  absl::StatusOr<v1::Empty> reply = ContainerCall<v1::Empty>(
      resolver, &ContainerStub::ConnectNetwork, *connect);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.Send(200, {}, "");
}

void Disconnect(ServiceResolver* resolver, Request& request,
                ResponseWriter& writer) {
  std::optional<nlohmann::json> body = Body(request, writer);
  if (!body) return;
  absl::StatusOr<v1::NetworkConnectRequest> disconnect =
      NetworkDisconnectFromJson(*body, request.Param("id"));
  if (!disconnect.ok()) return SendStatus(writer, disconnect.status());
  absl::StatusOr<v1::Empty> reply = ContainerCall<v1::Empty>(
      resolver, &ContainerStub::DisconnectNetwork, *disconnect);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.Send(200, {}, "");
}

}  // namespace

absl::Status AddNetworkRoutes(Router& router, ServiceResolver* resolver) {
  BERTH_RETURN_IF_ERROR(
      AddResolverRoute(router, resolver, "GET", "/networks", List));
  BERTH_RETURN_IF_ERROR(
      AddResolverRoute(router, resolver, "POST", "/networks/create", Create));
  BERTH_RETURN_IF_ERROR(
      AddResolverRoute(router, resolver, "POST", "/networks/prune", Prune));
  BERTH_RETURN_IF_ERROR(
      AddResolverRoute(router, resolver, "GET", "/networks/{id}", Inspect));
  BERTH_RETURN_IF_ERROR(
      AddResolverRoute(router, resolver, "DELETE", "/networks/{id}", Remove));
  BERTH_RETURN_IF_ERROR(AddResolverRoute(router, resolver, "POST",
                                         "/networks/{id}/connect", Connect));
  BERTH_RETURN_IF_ERROR(AddResolverRoute(
      router, resolver, "POST", "/networks/{id}/disconnect", Disconnect));
  return absl::OkStatus();
}

}  // namespace berth::gateway
