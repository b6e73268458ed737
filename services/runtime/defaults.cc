#include "services/runtime/defaults.h"

#include <sched.h>

namespace berth::runtime {

std::vector<Mount> DefaultMounts() {
  return {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev",
       "tmpfs",
       "tmpfs",
       {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
        "gid=5"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup",
       "cgroup",
       "cgroup",
       {"ro", "nosuid", "noexec", "nodev"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/dev/shm",
       "tmpfs",
       "shm",
       {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
  };
}

std::vector<std::string> DefaultMaskedPaths() {
  return {"/proc/asound",
          "/proc/acpi",
          "/proc/kcore",
          "/proc/keys",
          "/proc/latency_stats",
          "/proc/timer_list",
          "/proc/timer_stats",
          "/proc/sched_debug",
          "/proc/scsi",
          "/sys/firmware",
          "/sys/devices/virtual/powercap"};
}

std::vector<std::string> DefaultReadonlyPaths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
          "/proc/sysrq-trigger"};
}

std::vector<NamespaceSpec> DefaultNamespaces() {
  return {{CLONE_NEWPID, ""},
          {CLONE_NEWNET, ""},
          {CLONE_NEWIPC, ""},
          {CLONE_NEWUTS, ""},
          {CLONE_NEWNS, ""}};
}

}  // namespace berth::runtime
