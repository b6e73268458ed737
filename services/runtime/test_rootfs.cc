#include "services/runtime/test_rootfs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"

namespace berth::runtime::testing {

absl::Status MakeBusyboxRootfs(const std::string& dir) {
  for (const char* sub : {"bin", "etc", "proc", "dev", "sys", "tmp", "mnt",
                          "root", "home/user"}) {
    BERTH_RETURN_IF_ERROR(MakeDirs(absl::StrCat(dir, "/", sub)));
  }
  std::error_code error;
  std::filesystem::copy_file(kBusybox, dir + "/bin/busybox",
                             std::filesystem::copy_options::overwrite_existing,
                             error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("copy ", kBusybox, ": ", error.message()));
  }
  chmod((dir + "/bin/busybox").c_str(), 0755);
  for (const char* applet :
       {"sh",    "true",   "false",    "cat",      "echo",  "id",   "ls",
        "mount", "umount", "hostname", "sleep",    "dd",    "head", "tr",
        "env",   "pwd",    "touch",    "readlink", "test",  "grep", "wc",
        "mkdir", "stat",   "tty",      "ps",       "mknod", "rm"}) {
    std::string link = absl::StrCat(dir, "/bin/", applet);
    if (symlink("busybox", link.c_str()) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, absl::StrCat("symlink ", link));
    }
  }
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(dir + "/etc/passwd",
                      "root:x:0:0:root:/root:/bin/sh\n"
                      "user:x:1000:1000:user:/home/user:/bin/sh\n"));
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(dir + "/etc/group",
                                        "root:x:0:\nwheel:x:10:root\n"
                                        "user:x:1000:\n"));
  return absl::OkStatus();
}

}  // namespace berth::runtime::testing
