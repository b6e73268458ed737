#include "services/runtime/capabilities.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/base/files.h"

namespace berth::runtime {
namespace {

constexpr std::array<absl::string_view, kMaxCapability + 1> kNames = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

// Raw syscalls: glibc has no capset wrapper and libcap is not a dependency.
int CapGet(__user_cap_data_struct data[2]) {
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capget, &header, data) == 0 ? 0 : errno;
}

int CapSet(__user_cap_data_struct data[2]) {
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capset, &header, data) == 0 ? 0 : errno;
}

}  // namespace

absl::string_view CapabilityName(int cap) {
  if (cap < 0 || cap > kMaxCapability) return "";
  return kNames[cap];
}

absl::StatusOr<int> ParseCapability(absl::string_view name) {
  std::string upper = absl::AsciiStrToUpper(name);
  absl::string_view bare = upper;
  absl::ConsumePrefix(&bare, "CAP_");
  for (int cap = 0; cap <= kMaxCapability; ++cap) {
    if (kNames[cap].substr(4) == bare) return cap;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown capability: \"", name, "\""));
}

absl::StatusOr<std::vector<int>> ParseCapabilities(
    const std::vector<std::string>& names) {
  std::set<int> caps;
  for (const std::string& name : names) {
    if (absl::EqualsIgnoreCase(name, "ALL")) {
      std::vector<int> all = AllCapabilities();
      caps.insert(all.begin(), all.end());
      continue;
    }
    absl::StatusOr<int> cap = ParseCapability(name);
    if (!cap.ok()) return cap.status();
    caps.insert(*cap);
  }
  return std::vector<int>(caps.begin(), caps.end());
}

std::vector<int> AllCapabilities() {
  std::vector<int> all;
  for (int cap = 0; cap <= kMaxCapability; ++cap) {
    // 1: in the bounding set; -1 (EINVAL): unknown to this kernel.
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) all.push_back(cap);
  }
  return all;
}

std::vector<int> DockerDefaultCapabilities() {
  std::vector<int> caps = {
      CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
      CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
      CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
      CAP_KILL,    CAP_AUDIT_WRITE,
  };
  std::sort(caps.begin(), caps.end());
  return caps;
}

absl::StatusOr<std::vector<int>> TweakCapabilities(
    const std::vector<int>& base, const std::vector<std::string>& adds,
    const std::vector<std::string>& drops) {
  auto has_all = [](const std::vector<std::string>& names) {
    return std::any_of(names.begin(), names.end(), [](const std::string& n) {
      return absl::EqualsIgnoreCase(n, "ALL");
    });
  };
  if (has_all(adds)) return AllCapabilities();
  std::set<int> result;
  if (!has_all(drops)) {
    result.insert(base.begin(), base.end());
    for (const std::string& name : drops) {
      absl::StatusOr<int> cap = ParseCapability(name);
      if (!cap.ok()) return cap.status();
      result.erase(*cap);
    }
  }
  for (const std::string& name : adds) {
    absl::StatusOr<int> cap = ParseCapability(name);
    if (!cap.ok()) return cap.status();
    result.insert(*cap);
  }
  return std::vector<int>(result.begin(), result.end());
}

uint64_t CapabilityMask(const std::vector<int>& caps) {
  uint64_t mask = 0;
  for (int cap : caps) {
    if (cap >= 0 && cap < 64) mask |= uint64_t{1} << cap;
  }
  return mask;
}

int LastCapability() {
  absl::StatusOr<std::string> text = ReadFile("/proc/sys/kernel/cap_last_cap");
  int last = 0;
  if (!text.ok() ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &last) || last < 0 ||
      last > 63) {
    return kMaxCapability;
  }
  return last;
}

int ApplyCapabilityMask(uint64_t mask, int last_cap) {
  __user_cap_data_struct data[2] = {};
  if (int err = CapGet(data)) return err;
  // After a setuid under PR_SET_KEEPCAPS the effective set is empty, and
  // dropping from the bounding set needs CAP_SETPCAP in it: raise it from
  // the permitted set first.
  data[0].effective = data[0].permitted;
  data[1].effective = data[1].permitted;
  if (int err = CapSet(data)) return err;
  for (int cap = 0; cap <= last_cap && cap < 64; ++cap) {
    if (mask & (uint64_t{1} << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return errno;
    }
  }
  // Ambient capabilities would survive an execve as a non-root user.
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
      errno != EINVAL) {
    return errno;
  }
  uint64_t granted = geteuid() == 0 ? mask : 0;
  if (last_cap < 63) granted &= (uint64_t{1} << (last_cap + 1)) - 1;
  for (int i = 0; i < 2; ++i) {
    uint32_t half = static_cast<uint32_t>(granted >> (32 * i));
    data[i].effective = half;
    data[i].permitted = half;
    data[i].inheritable = 0;
  }
  return CapSet(data);
}

absl::Status ApplyCapabilities(const std::vector<int>& caps) {
  for (int cap : caps) {
    if (cap < 0 || cap > kMaxCapability) {
      return absl::InvalidArgumentError(
          absl::StrCat("capability number ", cap, " is out of range"));
    }
  }
  int err = ApplyCapabilityMask(CapabilityMask(caps), LastCapability());
  if (err != 0) return ErrnoStatus(err, "apply capabilities");
  return absl::OkStatus();
}

}  // namespace berth::runtime
