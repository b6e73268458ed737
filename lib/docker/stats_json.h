#ifndef BERTH_LIB_DOCKER_STATS_JSON_H_
#define BERTH_LIB_DOCKER_STATS_JSON_H_

#include "nlohmann/json.hpp"
#include "proto/container.pb.h"

namespace berth {

// One entry of GET /containers/{id}/stats: `sample` as cpu_stats and
// memory_stats, `previous` (null for the first) as precpu_stats, from
// which the docker CLI computes CPU %.
nlohmann::json StatsJson(const v1::StatsSample& sample,
                         const v1::StatsSample* previous);

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_STATS_JSON_H_
