#include "services/shim/pty.h"

#include <fcntl.h>
#include <stdlib.h>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"

namespace berth::shim {

absl::StatusOr<Pty> OpenPty() {
  Pty pty;
  pty.master.reset(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master.valid()) return ErrnoStatus(errno, "posix_openpt");
  if (grantpt(pty.master.get()) != 0 || unlockpt(pty.master.get()) != 0) {
    return ErrnoStatus(errno, "unlockpt");
  }
  char name[64];
  if (ptsname_r(pty.master.get(), name, sizeof(name)) != 0) {
    return ErrnoStatus(errno, "ptsname");
  }
  pty.slave.reset(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.slave.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open ", name));
  }
  return pty;
}

}  // namespace berth::shim
