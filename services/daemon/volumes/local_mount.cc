#include "services/daemon/volumes/local_mount.h"

#include <sys/mount.h>

#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace berth {
namespace {

struct FlagWord {
  const char* word;
  // Clear these flags, then set `set`: "rw" undoes an earlier "ro".
  bool clear;
  unsigned long flag;
};

// mount(8)'s filesystem-independent words, as moby's mount package knows
// them; anything else is for the filesystem.
constexpr FlagWord kFlagWords[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"suid", true, MS_NOSUID},
    {"nosuid", false, MS_NOSUID},
    {"dev", true, MS_NODEV},
    {"nodev", false, MS_NODEV},
    {"exec", true, MS_NOEXEC},
    {"noexec", false, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
};

struct PropagationWord {
  const char* word;
  unsigned long flags;
};

constexpr PropagationWord kPropagationWords[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// The flags a bind mount only honours through a remount.
constexpr unsigned long kBindRemountFlags =
    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_DIRSYNC |
    MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;

}  // namespace

LocalMountOptions ParseLocalMountOptions(absl::string_view o) {
  LocalMountOptions out;
  std::vector<absl::string_view> data;
  for (absl::string_view word : absl::StrSplit(o, ',', absl::SkipEmpty())) {
    bool known = false;
    for (const FlagWord& flag : kFlagWords) {
      if (word != flag.word) continue;
      known = true;
      if (flag.clear) {
        out.flags &= ~flag.flag;
      } else {
        out.flags |= flag.flag;
      }
    }
    for (const PropagationWord& propagation : kPropagationWords) {
      if (word != propagation.word) continue;
      known = true;
      out.propagation |= propagation.flags;
    }
    if (!known) data.push_back(word);
  }
  out.data = absl::StrJoin(data, ",");
  return out;
}

absl::Status MountLocal(MountOps& ops, const std::string& device,
                        const std::string& target, const std::string& type,
                        absl::string_view o) {
  LocalMountOptions options = ParseLocalMountOptions(o);
  absl::Status status =
      ops.Mount(device, target, type, options.flags, options.data);
  if (!status.ok()) return status;
  if ((options.flags & MS_BIND) != 0 &&
      (options.flags & kBindRemountFlags) != 0) {
    status = ops.Mount("", target, "",
                       MS_REMOUNT | MS_BIND | (options.flags & ~MS_REC),
                       options.data);
  }
  if (status.ok() && options.propagation != 0) {
    status = ops.Mount("", target, "", options.propagation, "");
  }
  if (!status.ok()) {
    // Best effort: the mount is unusable without its flags.
    ops.Unmount(target, MNT_DETACH).IgnoreError();
  }
  return status;
}

}  // namespace berth
