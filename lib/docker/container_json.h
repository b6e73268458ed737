#ifndef BERTH_LIB_DOCKER_CONTAINER_JSON_H_
#define BERTH_LIB_DOCKER_CONTAINER_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "proto/container.pb.h"

namespace berth {

// Docker's container JSON, both ways: the body of POST /containers/create
// in, and inspect and list entries out, with the fields the docker CLI
// reads.

// InvalidArgument for a body that is not an object or has a field of the
// wrong type where berth needs it.
absl::StatusOr<v1::CreateContainerRequest> CreateRequestFromJson(
    const nlohmann::json& body);

nlohmann::json ContainerConfigJson(const v1::ContainerConfig& config);
nlohmann::json HostConfigJson(const v1::HostConfig& host);
nlohmann::json ContainerInspectJson(const v1::ContainerDetail& detail);
// GET /containers/json's body. Written directly rather than through a
// JSON tree: a thousand containers make it the API's largest answer.
std::string ContainerListJson(const v1::ListContainersReply& reply);

// POST /containers/{id}/exec's body.
absl::StatusOr<v1::ExecConfig> ExecConfigFromJson(const nlohmann::json& body);
nlohmann::json ExecInspectJson(const v1::ExecDetail& detail);
nlohmann::json TopJson(const v1::TopReply& reply);
nlohmann::json PruneContainersJson(const v1::PruneContainersReply& reply);
// GET /containers/{id}/changes' body: null when nothing changed, as
// dockerd sends it.
nlohmann::json ChangesJson(const v1::ChangesReply& reply);

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_CONTAINER_JSON_H_
