#include "services/daemon/containers/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"

namespace berth {
namespace {

// In the child: a fresh namespace, loopback up, pinned at `path`.
// Returns an errno-style step number for the parent to report.
int PinNewNetns(const char* path) {
  if (unshare(CLONE_NEWNET) != 0) return 1;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return 2;
  ifreq request{};
  strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFFLAGS, &request) != 0) return 3;
  request.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &request) != 0) return 4;
  if (mount("/proc/self/ns/net", path, nullptr, MS_BIND, nullptr) != 0) {
    return 5;
  }
  return 0;
}

}  // namespace

absl::Status CreateNetns(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", path));
  close(fd);
  // A thread of this process cannot switch namespaces without taking the
  // others' view of it along; a child process can.
  pid_t child = fork();
  if (child < 0) {
    unlink(path.c_str());
    return ErrnoStatus(errno, "fork");
  }
  if (child == 0) {
    int step = PinNewNetns(path.c_str());
    _exit(step);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    unlink(path.c_str());
    return absl::InternalError(absl::StrCat(
        "could not create the container's network namespace (failed at step ",
        WIFEXITED(status) ? WEXITSTATUS(status) : -1, ")"));
  }
  return absl::OkStatus();
}

absl::Status RemoveNetns(const std::string& path) {
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL &&
      errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("unmount ", path));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove ", path));
  }
  return absl::OkStatus();
}

}  // namespace berth
