#ifndef BERTH_LIB_DOCKER_CONTAINER_JSON_H_
#define BERTH_LIB_DOCKER_CONTAINER_JSON_H_

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
nlohmann::json ContainerSummaryJson(const v1::ContainerSummary& summary);

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_CONTAINER_JSON_H_
