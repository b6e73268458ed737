#ifndef BERTH_LIB_DOCKER_DOCKER_JSON_H_
#define BERTH_LIB_DOCKER_DOCKER_JSON_H_

#include "nlohmann/json.hpp"
#include "proto/engine.pb.h"

namespace berth {

// The Docker Engine API's JSON shapes, shared by the gateway's responses
// and the jobs' output so both print the same thing.
nlohmann::json VersionJson(const v1::VersionInfo& version);
nlohmann::json InfoJson(const v1::SystemInfo& info);
nlohmann::json EventJson(const v1::Event& event);

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_DOCKER_JSON_H_
