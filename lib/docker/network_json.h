#ifndef BERTH_LIB_DOCKER_NETWORK_JSON_H_
#define BERTH_LIB_DOCKER_NETWORK_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "proto/container.pb.h"
#include "proto/network.pb.h"

namespace berth {

// Docker Engine API shapes of the /networks endpoints.

// The body of POST /networks/create. InvalidArgument for a body that is not
// an object, a field of the wrong type, no name, IPv6, more than one IPv4
// pool or a setting berth cannot honour; NotFound (Docker's `plugin "X" not
// found`) for a driver other than bridge; PermissionDenied for another
// host or null network, as dockerd answers.
absl::StatusOr<v1::NetworkConfig> NetworkConfigFromJson(
    const nlohmann::json& body);

// Docker's network object as GET /networks/{id} shows it.
nlohmann::json NetworkJson(const v1::Network& network);
// GET /networks: an array of network objects. Their Containers are empty
// unless `with_containers` (API versions before 1.28 listed them).
nlohmann::json NetworkListJson(const v1::ListNetworksReply& reply,
                               bool with_containers);
// POST /networks/create's 201 answer: {"Id": ..., "Warning": ""}.
nlohmann::json NetworkCreateJson(const v1::Network& network);
// POST /networks/prune: {"NetworksDeleted": [...]}, null when none was, as
// dockerd sends it.
nlohmann::json NetworkPruneJson(const v1::PruneNetworksReply& reply);

// The bodies of POST /networks/{id}/connect ({"Container", "EndpointConfig":
// {"Aliases"}}) and /disconnect ({"Container", "Force"}); the network comes
// from the path. InvalidArgument for a malformed body or endpoint settings
// berth cannot honour (a static address, links), NotFound for no container.
absl::StatusOr<v1::NetworkConnectRequest> NetworkConnectFromJson(
    const nlohmann::json& body, const std::string& network);
absl::StatusOr<v1::NetworkConnectRequest> NetworkDisconnectFromJson(
    const nlohmann::json& body, const std::string& network);

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_NETWORK_JSON_H_
