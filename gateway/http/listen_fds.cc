#include "gateway/http/listen_fds.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace berth::gateway {

absl::StatusOr<ListenFdsEnv> ReadListenFdsEnv() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid == nullptr || fds == nullptr) {
    return absl::FailedPreconditionError(
        "no sockets found via socket activation (LISTEN_PID/LISTEN_FDS "
        "unset): make sure the service was started by systemd");
  }
  ListenFdsEnv env;
  if (!absl::SimpleAtoi(pid, &env.pid) || !absl::SimpleAtoi(fds, &env.count) ||
      env.count < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed LISTEN_PID=", pid, " or LISTEN_FDS=", fds));
  }
  if (const char* names = std::getenv("LISTEN_FDNAMES"); names != nullptr) {
    env.names = absl::StrSplit(names, ':');
  }
  return env;
}

absl::StatusOr<std::vector<int>> SelectListenFds(absl::string_view spec,
                                                 const ListenFdsEnv& env,
                                                 int self_pid) {
  if (env.pid != self_pid) {
    return absl::FailedPreconditionError(
        absl::StrCat("socket activation: LISTEN_PID is ", env.pid,
                     ", not this process (", self_pid, ")"));
  }
  if (env.count == 0) {
    return absl::FailedPreconditionError(
        "no sockets found via socket activation: make sure the service was "
        "started by systemd");
  }
  std::vector<int> out;
  if (spec.empty()) {
    for (int i = 0; i < env.count; ++i) out.push_back(kListenFdsStart + i);
    return out;
  }
  int fd = 0;
  if (absl::SimpleAtoi(spec, &fd)) {
    if (fd < kListenFdsStart || fd >= kListenFdsStart + env.count) {
      return absl::NotFoundError(absl::StrCat(
          "fd://", spec, ": systemd passed descriptors ", kListenFdsStart,
          " to ", kListenFdsStart + env.count - 1));
    }
    out.push_back(fd);
    return out;
  }
  for (int i = 0; i < env.count && i < static_cast<int>(env.names.size());
       ++i) {
    if (env.names[i] == spec) out.push_back(kListenFdsStart + i);
  }
  if (out.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "fd://", spec, ": no socket by that name in LISTEN_FDNAMES"));
  }
  return out;
}

}  // namespace berth::gateway
