#ifndef BERTH_SERVICES_RUNTIME_SECCOMP_PROFILE_H_
#define BERTH_SERVICES_RUNTIME_SECCOMP_PROFILE_H_

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::runtime {

// berth's default seccomp profile: everything is allowed except what
// Docker's default profile refuses an unprivileged container. It is a deny
// list rather than Docker's allow list so that new, harmless syscalls keep
// working; the syscalls that matter for escaping or for the host are the
// ones listed here.

// Syscalls refused with EPERM. Names may not exist on every architecture.
const std::vector<std::string>& BlockedSyscalls();

// Syscalls refused with ENOSYS rather than EPERM: glibc falls back to
// clone(2) when clone3 says ENOSYS, and clone(2)'s flags can be filtered.
const std::vector<std::string>& EnosysSyscalls();

// clone(2) with any of these flags is refused with EPERM (one rule per
// flag, matching arg0 & flag == flag).
const std::vector<uint64_t>& BlockedCloneFlags();

// The architectures the filter covers, as libseccomp/runc names them.
const std::vector<std::string>& SeccompArchitectures();

// A compiled BPF filter, ready to load without allocating.
struct SeccompProgram {
  std::vector<sock_filter> filter;
};

// Builds the default profile with libseccomp and exports its BPF.
absl::StatusOr<SeccompProgram> CompileDefaultSeccomp();

// Async-signal-safe: loads `program` into the calling thread. Needs
// PR_SET_NO_NEW_PRIVS or CAP_SYS_ADMIN. Returns 0 or an errno value.
int LoadSeccompProgram(const SeccompProgram& program);

// CompileDefaultSeccomp then LoadSeccompProgram. The container runtime
// compiles in the parent and only loads in the child, right before execve.
absl::Status LoadDefaultSeccomp();

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_SECCOMP_PROFILE_H_
