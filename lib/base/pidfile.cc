#include "lib/base/pidfile.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"

namespace berth {
namespace {

// A zombie has exited: only its parent has yet to reap it.
bool Zombie(pid_t pid) {
  absl::StatusOr<std::string> stat =
      ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return false;
  size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() &&
         (*stat)[paren + 2] == 'Z';
}

bool ProcessAlive(pid_t pid) {
  return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) && !Zombie(pid);
}

}  // namespace

absl::StatusOr<Pidfile> Pidfile::Create(const std::string& path) {
  absl::StatusOr<std::string> old = ReadFile(path);
  if (old.ok()) {
    int pid = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(*old), &pid) &&
        pid != getpid() && ProcessAlive(pid)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "pid file found (process ", pid,
          " is running), ensure berthd is not running or delete ", path));
    }
  }
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    BERTH_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash)));
  }
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(path, absl::StrCat(getpid(), "\n")));
  return Pidfile(path);
}

Pidfile::Pidfile(Pidfile&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

Pidfile::~Pidfile() {
  if (!path_.empty()) unlink(path_.c_str());
}

}  // namespace berth
