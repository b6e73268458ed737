#include "services/netd/netlink/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/unique_fd.h"

namespace berth::netd {

absl::Status RunInNetns(const std::string& netns_path,
                        const std::function<absl::Status()>& fn) {
  UniqueFd fd(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return ErrnoStatus(errno,
                       absl::StrCat("open network namespace ", netns_path));
  }
  absl::Status status;
  std::thread thread([&] {
    if (setns(fd.get(), CLONE_NEWNET) != 0) {
      int err = errno;
      status = err == EINVAL
                   ? absl::InvalidArgumentError(absl::StrCat(
                         netns_path, " is not a network namespace"))
                   : ErrnoStatus(err, absl::StrCat("join network namespace ",
                                                   netns_path));
      return;
    }
    status = fn();
  });
  thread.join();
  return status;
}

absl::StatusOr<bool> IsOwnNetns(int netns_fd) {
  struct stat theirs, ours;
  if (fstat(netns_fd, &theirs) != 0) {
    return ErrnoStatus(errno, "stat network namespace");
  }
  if (stat("/proc/thread-self/ns/net", &ours) != 0) {
    return ErrnoStatus(errno, "stat /proc/thread-self/ns/net");
  }
  return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

}  // namespace berth::netd
