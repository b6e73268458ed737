#ifndef BERTH_SERVICES_RUNTIME_CONTAINER_H_
#define BERTH_SERVICES_RUNTIME_CONTAINER_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "services/runtime/container_stdio.h"
#include "services/runtime/spec.h"

namespace berth::runtime {

// Starts `spec` as a container without runc and returns its init's pid, a
// direct child of the caller, who reaps it with waitpid. Once this
// returns, the process has exec'd spec.process.args.
//
// The child is cloned into new namespaces (those in spec.namespaces
// without a path; a path is joined with setns, a pid namespace by the
// parent around the clone), waits until the parent has put it in its
// cgroup (LinuxCgroup::Create of spec.cgroups_path with spec.resources,
// if a path is set), then builds its filesystem (rootfs.h), sets the
// hostname, rlimits, oom_score_adj, user, cwd, capabilities,
// no_new_privs and seccomp (process.h) and execs with the container's
// $PATH. The cgroup is left for the caller to Destroy after the exit.
//
// A failure before execve comes back with its reason: NotFound
// `exec: "NAME": executable file not found in $PATH` (Docker's 127),
// PermissionDenied `exec: "NAME": permission denied` (126),
// FailedPrecondition or InvalidArgument naming the path or value that
// failed otherwise. Nothing is left behind then: the child is reaped and
// the cgroup removed. A user namespace, or joining an existing mount
// namespace, is Unimplemented.
//
// Async-signal-safety: the child only runs syscalls on data the parent
// prepared, so this may be called from a multi-threaded process.
absl::StatusOr<pid_t> SpawnContainer(const Spec& spec, const Stdio& stdio);

// `docker exec`: runs `process` inside the running container whose init
// is `init_pid`. An intermediate child joins the init's ipc, uts, net,
// pid, cgroup and mount namespaces (those that differ from the caller's)
// and the cgroup at `cgroups_path` (if not empty), then forks the process,
// which is then really inside the pid namespace, and exits; it is reaped
// here. The process gets the same setup as an init (user, capabilities,
// no_new_privs, seccomp, env, cwd, which is not created) and the same
// error reporting.
//
// The returned pid becomes the caller's child only because the caller is
// a child subreaper: it must have called prctl(PR_SET_CHILD_SUBREAPER, 1)
// (berth-shim does), else this is FailedPrecondition.
absl::StatusOr<pid_t> SpawnInContainer(pid_t init_pid, const Process& process,
                                       const Stdio& stdio,
                                       const std::string& cgroups_path);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_CONTAINER_H_
