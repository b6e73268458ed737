#include "services/netd/firewall/iptables_runner.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/base/files.h"
#include "lib/base/unique_fd.h"

namespace berth::netd {

absl::StatusOr<CommandResult> CommandIptablesRunner::Iptables(
    const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"iptables", "-w"};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(argv);
  if (absl::IsNotFound(result.status())) {
    return absl::FailedPreconditionError(
        "iptables is not installed: install it (Debian: iptables) or run "
        "berthd with --iptables=false");
  }
  return result;
}

absl::Status CommandIptablesRunner::Restore(const std::string& input) {
  // Close-on-exec, so that no other child inherits it; iptables-restore
  // opens it through /proc instead, which needs no inheritance.
  UniqueFd fd(memfd_create("berth-iptables-restore", MFD_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "memfd_create");
  size_t done = 0;
  while (done < input.size()) {
    ssize_t n = write(fd.get(), input.data() + done, input.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write the iptables-restore input");
    }
    done += n;
  }
  absl::StatusOr<CommandResult> result =
      RunCommand({"iptables-restore", "-w", "--noflush",
                  absl::StrCat("/proc/", getpid(), "/fd/", fd.get())});
  if (absl::IsNotFound(result.status())) {
    return absl::FailedPreconditionError(
        "iptables-restore is not installed: install iptables or run berthd "
        "with --iptables=false");
  }
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat(
        "iptables-restore failed (exit status ", result->exit_code, "): ",
        absl::StripAsciiWhitespace(result->err), "; its input was:\n", input));
  }
  return absl::OkStatus();
}

}  // namespace berth::netd
