#include "lib/job/job_output.h"

#include "absl/strings/str_cat.h"

namespace berth {

void PrintJson(Job& job, const nlohmann::json& value) {
  job.Stdout().Write(value.dump() + "\n");
}

absl::Status NeedArgs(const Job& job, size_t min, size_t max,
                      absl::string_view usage) {
  if (job.args().size() < min || job.args().size() > max) {
    return absl::InvalidArgumentError(absl::StrCat("usage: ", usage));
  }
  return absl::OkStatus();
}

}  // namespace berth
