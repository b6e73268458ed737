#include "services/netd/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/base/files.h"
#include "lib/base/unique_fd.h"

namespace berth::netd {

absl::Status ProcSysctl::Set(const std::string& key, const std::string& value) {
  if (key.empty() || key.find("..") != std::string::npos ||
      key.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid sysctl \"", key, "\""));
  }
  std::string path = "/proc/sys/" + key;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, absl::StrCat("open ", path));
  std::string line = value + "\n";
  if (write(fd.get(), line.data(), line.size()) !=
      static_cast<ssize_t>(line.size())) {
    return ErrnoStatus(errno, absl::StrCat("set ", key, "=", value));
  }
  return absl::OkStatus();
}

}  // namespace berth::netd
