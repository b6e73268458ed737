#ifndef BERTH_SERVICES_RUNTIME_PROCESS_H_
#define BERTH_SERVICES_RUNTIME_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/runtime/child_report.h"
#include "services/runtime/container_stdio.h"
#include "services/runtime/seccomp_profile.h"
#include "services/runtime/spec.h"

namespace berth::runtime {

// The setup of a container process up to execve, shared by the container's
// init and `exec`: planned in the parent (allocations, file reads, the
// seccomp compile), run in the cloned child with syscalls only. The child
// uses raw syscalls for credentials: glibc's wrappers would signal the
// parent's other threads, whose list the clone copied.

struct ProcessPlan {
  ProcessPlan() = default;
  ProcessPlan(const ProcessPlan&) = delete;
  ProcessPlan& operator=(const ProcessPlan&) = delete;

  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<char*> argv;  // into args, null-terminated
  std::vector<char*> envp;  // into env, null-terminated
  // Where execve is tried, in order: args[0] alone if it has a '/', else
  // each $PATH entry (from `env`) joined with it.
  std::vector<std::string> exec_candidates;
  bool search_path = false;
  std::string cwd;
  bool create_cwd = false;  // the init's cwd is created (Docker); exec's not
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  uint64_t cap_mask = 0;
  int last_cap = 0;
  bool no_new_privileges = false;
  std::vector<Rlimit> rlimits;
  bool has_oom_score_adj = false;
  char oom_score_adj[16] = {};
  bool has_seccomp = false;
  SeccompProgram seccomp;
  bool terminal = false;
};

absl::StatusOr<std::unique_ptr<ProcessPlan>> PlanProcess(const Process& process,
                                                         bool create_cwd);

// $PATH from a "KEY=value" list (the last PATH= wins), else kDefaultPath.
std::string PathFromEnv(const std::vector<std::string>& env);

// execvp's search list for `name` under `path`; an empty entry is ".".
std::vector<std::string> ExecCandidates(const std::string& name,
                                        absl::string_view path);

// `wanted` limited to `current_hard`: without CAP_SYS_RESOURCE a hard
// limit cannot rise, and failing the container for it helps nobody.
Rlimit ClampRlimit(const Rlimit& wanted, uint64_t current_hard);

// --- The child's half: async-signal-safe, no allocation. Each returns 0,
// or -1 after filling `report`.

// Moves the caller's fds to 0, 1, 2 (-1: /dev/null), starts a new session
// and, for a terminal, makes fd 0 the controlling terminal.
int SetupStdio(const Stdio& stdio, bool terminal, ChildReport* report);

// Writes /proc/self/oom_score_adj (through whatever /proc is mounted).
int ApplyOomScoreAdj(const ProcessPlan& plan, ChildReport* report);

int ApplyRlimits(const ProcessPlan& plan, ChildReport* report);

// The rest, in order: cwd creation, user, capabilities, chdir,
// no_new_privs, fds >= 3 marked close-on-exec, seccomp (before the user
// switch when no_new_privs is off, since loading then needs CAP_SYS_ADMIN),
// default signal handling, execve. Returns only on failure.
void FinishAndExec(const ProcessPlan& plan, ChildReport* report);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_PROCESS_H_
