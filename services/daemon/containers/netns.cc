#include "services/daemon/containers/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"

namespace berth {
namespace {

// On a thread of its own: a fresh namespace, loopback up, pinned at
// `path`. Returns the failed step (0: none) and sets errno.
int PinNewNetns(const char* path) {
  if (unshare(CLONE_NEWNET) != 0) return 1;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return 2;
  ifreq request{};
  strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  int step = 0;
  if (ioctl(sock, SIOCGIFFLAGS, &request) != 0) {
    step = 3;
  } else {
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(sock, SIOCSIFFLAGS, &request) != 0) step = 4;
  }
  int saved = errno;
  close(sock);
  errno = saved;
  if (step != 0) return step;
  if (mount("/proc/thread-self/ns/net", path, nullptr, MS_BIND, nullptr) != 0) {
    return 5;
  }
  return 0;
}

}  // namespace

absl::Status CreateNetns(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", path));
  close(fd);
  // The network namespace is per thread: a short-lived thread can make
  // one without moving the rest of the daemon, and costs far less than
  // forking it.
  int step = 0;
  int err = 0;
  std::thread([&] {
    step = PinNewNetns(path.c_str());
    err = errno;
  }).join();
  if (step != 0) {
    unlink(path.c_str());
    return ErrnoStatus(err,
                       absl::StrCat("could not create the container's network "
                                    "namespace (step ",
                                    step, ")"));
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
