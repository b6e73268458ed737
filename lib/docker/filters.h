#ifndef BERTH_LIB_DOCKER_FILTERS_H_
#define BERTH_LIB_DOCKER_FILTERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"
#include "proto/engine.pb.h"

namespace berth {

// Docker's `filters` parameter: a JSON object mapping each key to a list
// of values ({"type":["container"]}) or, from older clients, to a map of
// value -> true ({"type":{"container":true}}). Empty text is no filter.
absl::Status ParseDockerFilters(
    absl::string_view json,
    google::protobuf::Map<std::string, v1::FilterValues>* out);

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_FILTERS_H_
