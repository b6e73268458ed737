#ifndef BERTH_SERVICES_SHIM_OCI_PROCESS_H_
#define BERTH_SERVICES_SHIM_OCI_PROCESS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/runtime/spec.h"

namespace berth::shim {

// An OCI runtime-spec process object alone, as config.json's "process"
// (args, env, cwd, user, terminal, capabilities, noNewPrivileges, rlimits,
// oomScoreAdj): the file `runc exec --process FILE` takes, which
// berth-daemon writes for an exec. Read by the same rules as
// runtime::ParseOciConfig; errors are InvalidArgument naming the field.
absl::StatusOr<runtime::Process> ParseOciProcess(absl::string_view json);

}  // namespace berth::shim

#endif  // BERTH_SERVICES_SHIM_OCI_PROCESS_H_
