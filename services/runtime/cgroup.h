#ifndef BERTH_SERVICES_RUNTIME_CGROUP_H_
#define BERTH_SERVICES_RUNTIME_CGROUP_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::runtime {

struct CgroupStats {
  uint64_t memory_usage_bytes = 0;
  // The high-water mark; 0 where the kernel keeps none (v2 before 5.19).
  uint64_t memory_max_usage_bytes = 0;
  std::optional<uint64_t> memory_limit_bytes;  // nullopt: no limit
  // memory.stat as the kernel writes it (its keys differ by version).
  std::map<std::string, uint64_t> memory_stat;
  uint64_t cpu_usage_ns = 0;
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_system_ns = 0;
  uint64_t pids_current = 0;
  std::optional<uint64_t> pids_limit;  // nullopt: no limit
};

// A container's control group, whatever the cgroup version. The shim holds
// one for the container it runs; after a restart it reopens it by path.
class Cgroup {
 public:
  virtual ~Cgroup() = default;

  // The cgroups path it was created or opened with.
  virtual const std::string& path() const = 0;

  // Moves `pid` (with its threads) into the cgroup.
  virtual absl::Status AddProcess(pid_t pid) = 0;

  // Freezes every process in it and returns once they all are frozen.
  virtual absl::Status Freeze() = 0;
  virtual absl::Status Thaw() = 0;

  // Whether the kernel's OOM killer killed a process in it.
  virtual absl::StatusOr<bool> OomKilled() = 0;

  virtual absl::StatusOr<CgroupStats> Stats() = 0;

  // The processes in it; empty once it is gone.
  virtual std::vector<pid_t> Pids() = 0;

  // SIGKILLs what is left, waits until it is empty and removes it (and any
  // cgroups made below it). Idempotent: a cgroup already gone is fine.
  virtual absl::Status Destroy() = 0;
};

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_CGROUP_H_
