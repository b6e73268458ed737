#ifndef BERTH_SERVICES_ENGINE_BUILTIN_JOBS_H_
#define BERTH_SERVICES_ENGINE_BUILTIN_JOBS_H_

#include "absl/status/status.h"
#include "services/engine/engine_core.h"

namespace berth {

// Registers the engine's own jobs: commands, version, info, events, log,
// subscribers_count. Each prints what its RPC returns, in Docker's JSON
// shape where Docker has one.
absl::Status RegisterBuiltinJobs(EngineCore* core);

}  // namespace berth

#endif  // BERTH_SERVICES_ENGINE_BUILTIN_JOBS_H_
