#include "services/runtime/mount_options.h"

#include <sys/mount.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace berth::runtime {
namespace {

struct FlagWord {
  absl::string_view word;
  bool clear;
  unsigned long flag;
};

constexpr FlagWord kFlagWords[] = {
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
};

struct PropagationWord {
  absl::string_view word;
  unsigned long flags;
};

constexpr PropagationWord kPropagationWords[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

}  // namespace

absl::StatusOr<MountOptions> ParseMountOptions(
    const std::vector<std::string>& options) {
  MountOptions out;
  for (const std::string& option : options) {
    if (option.empty()) {
      return absl::InvalidArgumentError("empty mount option");
    }
    bool known = false;
    for (const FlagWord& word : kFlagWords) {
      if (word.word != option) continue;
      if (word.clear) {
        out.flags &= ~word.flag;
      } else {
        out.flags |= word.flag;
      }
      known = true;
      break;
    }
    if (known) continue;
    for (const PropagationWord& word : kPropagationWords) {
      if (word.word != option) continue;
      // The last propagation word wins, as with mount(8).
      out.propagation = word.flags;
      known = true;
      break;
    }
    if (known) continue;
    absl::StrAppend(&out.data, out.data.empty() ? "" : ",", option);
  }
  return out;
}

}  // namespace berth::runtime
