#ifndef BERTH_LIB_JOB_JOB_OUTPUT_H_
#define BERTH_LIB_JOB_JOB_OUTPUT_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/job/job.h"
#include "nlohmann/json.hpp"

namespace berth {

// What job handlers share: one JSON value per stdout line, and Docker-style
// usage errors for the wrong number of arguments.
void PrintJson(Job& job, const nlohmann::json& value);
absl::Status NeedArgs(const Job& job, size_t min, size_t max,
                      absl::string_view usage);

}  // namespace berth

#endif  // BERTH_LIB_JOB_JOB_OUTPUT_H_
