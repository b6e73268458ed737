#include "services/runtime/cgroup_resources.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace berth::runtime {
namespace {

constexpr int64_t kMinShares = 2;
constexpr int64_t kMaxShares = 262144;
constexpr int64_t kMinPeriod = 1000;     // 1 ms, the kernel's bound
constexpr int64_t kMaxPeriod = 1000000;  // 1 s
constexpr int64_t kMinQuota = 1000;
constexpr int64_t kDefaultPeriod = 100000;

bool Set(const std::optional<int64_t>& value) {
  return value.has_value() && *value != 0;
}

int64_t ClampShares(int64_t shares) {
  return std::clamp(shares, kMinShares, kMaxShares);
}

}  // namespace

const std::vector<std::string>& V1DefaultDeviceRules() {
  static const auto* const kRules = new std::vector<std::string>{
      "c *:* m",   "b *:* m",   "c 1:3 rwm",   "c 1:5 rwm",
      "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",   "c 5:0 rwm",
      "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
  };
  return *kRules;
}

uint64_t CpuSharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  shares = ClampShares(static_cast<int64_t>(
      std::min<uint64_t>(shares, static_cast<uint64_t>(kMaxShares))));
  return 1 + ((shares - 2) * 9999) / 262142;
}

absl::StatusOr<std::set<int>> ParseCpuList(absl::string_view list) {
  std::set<int> out;
  list = absl::StripAsciiWhitespace(list);
  if (list.empty()) return out;
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    std::pair<absl::string_view, absl::string_view> range =
        absl::StrSplit(part, absl::MaxSplits('-', 1));
    int first = 0;
    int last = 0;
    bool ok = absl::SimpleAtoi(range.first, &first) && first >= 0;
    if (ok) {
      last = first;
      if (part.find('-') != absl::string_view::npos) {
        ok = absl::SimpleAtoi(range.second, &last) && last >= first;
      }
    }
    if (!ok || last - first > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid cpu/node list \"", list, "\""));
    }
    for (int i = first; i <= last; ++i) out.insert(i);
  }
  return out;
}

absl::Status ValidateResources(const Resources& r) {
  if (r.memory_limit && *r.memory_limit < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid memory limit ", *r.memory_limit,
                     ": want bytes, or -1 for unlimited"));
  }
  if (r.memory_swap && *r.memory_swap < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid memory+swap limit ", *r.memory_swap,
                     ": want bytes, or -1 for unlimited"));
  }
  if (Set(r.memory_swap) && *r.memory_swap > 0) {
    if (!Set(r.memory_limit) || *r.memory_limit < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("memory+swap limit ", *r.memory_swap,
                       " needs a memory limit as well"));
    }
    if (*r.memory_swap < *r.memory_limit) {
      return absl::InvalidArgumentError(
          absl::StrCat("memory+swap limit ", *r.memory_swap,
                       " must be at least the memory limit ", *r.memory_limit));
    }
  }
  if (r.cpu_shares && *r.cpu_shares < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CPU shares ", *r.cpu_shares));
  }
  if (Set(r.cpu_period) &&
      (*r.cpu_period < kMinPeriod || *r.cpu_period > kMaxPeriod)) {
    return absl::InvalidArgumentError(
        absl::StrCat("CPU period ", *r.cpu_period, " must be between ",
                     kMinPeriod, " and ", kMaxPeriod, " microseconds"));
  }
  if (Set(r.cpu_quota) && *r.cpu_quota != -1 && *r.cpu_quota < kMinQuota) {
    return absl::InvalidArgumentError(
        absl::StrCat("CPU quota ", *r.cpu_quota, " must be at least ",
                     kMinQuota, " microseconds (or -1 for none)"));
  }
  for (const std::string* list : {&r.cpuset_cpus, &r.cpuset_mems}) {
    absl::StatusOr<std::set<int>> parsed = ParseCpuList(*list);
    if (!parsed.ok()) return parsed.status();
  }
  return absl::OkStatus();
}

std::vector<CgroupWrite> V1ResourceWrites(const Resources& r) {
  std::vector<CgroupWrite> writes;
  // cpuset first: nothing can run in a cpuset cgroup with empty cpus.
  if (!r.cpuset_cpus.empty()) {
    writes.push_back({"cpuset.cpus", r.cpuset_cpus});
  }
  if (!r.cpuset_mems.empty()) {
    writes.push_back({"cpuset.mems", r.cpuset_mems});
  }
  // The kernel wants memsw >= limit at every step; on a new cgroup both
  // start unlimited, so the limit goes first.
  if (Set(r.memory_limit)) {
    writes.push_back({"memory.limit_in_bytes", absl::StrCat(*r.memory_limit)});
  }
  if (Set(r.memory_swap)) {
    writes.push_back({"memory.memsw.limit_in_bytes",
                      absl::StrCat(*r.memory_swap), /*optional=*/true});
  }
  if (Set(r.cpu_shares)) {
    writes.push_back({"cpu.shares", absl::StrCat(ClampShares(*r.cpu_shares))});
  }
  if (Set(r.cpu_period)) {
    writes.push_back({"cpu.cfs_period_us", absl::StrCat(*r.cpu_period)});
  }
  if (Set(r.cpu_quota)) {
    writes.push_back({"cpu.cfs_quota_us", absl::StrCat(*r.cpu_quota)});
  }
  if (r.pids_limit) {
    writes.push_back({"pids.max", *r.pids_limit > 0
                                      ? absl::StrCat(*r.pids_limit)
                                      : std::string("max")});
  }
  return writes;
}

std::vector<CgroupWrite> V2ResourceWrites(const Resources& r) {
  std::vector<CgroupWrite> writes;
  if (!r.cpuset_cpus.empty()) {
    writes.push_back({"cpuset.cpus", r.cpuset_cpus});
  }
  if (!r.cpuset_mems.empty()) {
    writes.push_back({"cpuset.mems", r.cpuset_mems});
  }
  if (Set(r.memory_limit)) {
    writes.push_back({"memory.max", *r.memory_limit > 0
                                        ? absl::StrCat(*r.memory_limit)
                                        : std::string("max")});
  }
  if (Set(r.memory_swap)) {
    // v2 limits swap alone; OCI's value is memory + swap.
    std::string swap = "max";
    if (*r.memory_swap > 0 && Set(r.memory_limit) && *r.memory_limit > 0) {
      swap = absl::StrCat(*r.memory_swap - *r.memory_limit);
    }
    writes.push_back({"memory.swap.max", swap, /*optional=*/true});
  }
  if (Set(r.cpu_shares)) {
    writes.push_back(
        {"cpu.weight", absl::StrCat(CpuSharesToWeight(*r.cpu_shares))});
  }
  if (Set(r.cpu_quota) || Set(r.cpu_period)) {
    std::string quota = Set(r.cpu_quota) && *r.cpu_quota > 0
                            ? absl::StrCat(*r.cpu_quota)
                            : std::string("max");
    int64_t period = Set(r.cpu_period) ? *r.cpu_period : kDefaultPeriod;
    writes.push_back({"cpu.max", absl::StrCat(quota, " ", period)});
  }
  if (r.pids_limit) {
    writes.push_back({"pids.max", *r.pids_limit > 0
                                      ? absl::StrCat(*r.pids_limit)
                                      : std::string("max")});
  }
  return writes;
}

}  // namespace berth::runtime
