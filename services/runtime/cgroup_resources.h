#ifndef BERTH_SERVICES_RUNTIME_CGROUP_RESOURCES_H_
#define BERTH_SERVICES_RUNTIME_CGROUP_RESOURCES_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/runtime/spec.h"

namespace berth::runtime {

// The pure half of applying Resources: checks and the cgroup file writes
// they turn into, for v1 and v2. Zero means "not set" for every number, as
// in runc.

// One value for one cgroup file.
struct CgroupWrite {
  std::string file;  // "memory.max"; the part before '.' is the controller
  std::string value;
  // Missing file (swap accounting off) is not an error: Docker warns and
  // goes on without the limit.
  bool optional = false;

  std::string controller() const { return file.substr(0, file.find('.')); }
};

// InvalidArgument naming the value for anything no kernel would take.
absl::Status ValidateResources(const Resources& resources);

// In write order. Call ValidateResources first.
std::vector<CgroupWrite> V1ResourceWrites(const Resources& resources);
std::vector<CgroupWrite> V2ResourceWrites(const Resources& resources);

// The v1 devices cgroup rules every container gets after "a" is written
// to devices.deny: runc's default allow list (mknod of anything, and
// read/write of null, zero, full, random, urandom, tty, console, ptmx and
// pty slaves), so that CAP_MKNOD cannot open the host's disks.
const std::vector<std::string>& V1DefaultDeviceRules();

// cpu.shares (2..262144) to cgroup v2's cpu.weight (1..10000), as runc.
uint64_t CpuSharesToWeight(uint64_t shares);

// "0-2,4" -> {0,1,2,4}. Whitespace around the list is ignored; an empty
// list is the empty set.
absl::StatusOr<std::set<int>> ParseCpuList(absl::string_view list);

}  // namespace berth::runtime

#endif  // BERTH_SERVICES_RUNTIME_CGROUP_RESOURCES_H_
