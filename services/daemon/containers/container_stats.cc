#include "services/daemon/containers/container_stats.h"

#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "lib/docker/timestamp.h"
#include "services/runtime/linux_cgroup.h"

namespace berth {
namespace {

v1::StatsSample Sample(const std::string& id, const std::string& name) {
  v1::StatsSample sample;
  sample.set_id(id);
  sample.set_name(name);
  sample.set_read(FormatRfc3339Nano(absl::ToUnixNanos(absl::Now())));
  sample.set_online_cpus(sysconf(_SC_NPROCESSORS_ONLN));
  absl::StatusOr<std::string> proc_stat = ReadFile("/proc/stat");
  if (proc_stat.ok()) {
    absl::StatusOr<uint64_t> system = ParseSystemCpuNs(*proc_stat);
    if (system.ok()) sample.set_system_cpu_ns(*system);
  }
  return sample;
}

// The running container's counters; a zeroed sample once it is not.
absl::StatusOr<v1::StatsSample> Collect(ContainerCore& core,
                                        const std::string& name) {
  absl::StatusOr<RunningContainer> running =
      core.GetRunning(name, /*allow_paused=*/true);
  if (!running.ok()) {
    if (!absl::IsAborted(running.status())) return running.status();
    BERTH_ASSIGN_OR_RETURN(v1::ContainerDetail detail, core.Inspect(name));
    return Sample(detail.id(), detail.name());
  }
  v1::StatsSample sample = Sample(running->id, running->name);
  absl::StatusOr<std::unique_ptr<runtime::Cgroup>> cgroup =
      runtime::LinuxCgroup::Open(running->cgroups_path);
  if (!cgroup.ok()) return sample;
  absl::StatusOr<runtime::CgroupStats> stats = (*cgroup)->Stats();
  if (!stats.ok()) return sample;
  sample.set_running(true);
  sample.set_cpu_total_ns(stats->cpu_usage_ns);
  sample.set_cpu_user_ns(stats->cpu_user_ns);
  sample.set_cpu_system_ns(stats->cpu_system_ns);
  sample.set_memory_usage(stats->memory_usage_bytes);
  sample.set_memory_max_usage(stats->memory_max_usage_bytes);
  // Unlimited is the host's memory, as dockerd reports it.
  sample.set_memory_limit(stats->memory_limit_bytes.value_or(
      uint64_t(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE)));
  sample.mutable_memory_stats()->insert(stats->memory_stat.begin(),
                                        stats->memory_stat.end());
  sample.set_pids_current(stats->pids_current);
  sample.set_pids_limit(stats->pids_limit.value_or(0));
  return sample;
}

}  // namespace

absl::StatusOr<uint64_t> ParseSystemCpuNs(absl::string_view proc_stat) {
  for (absl::string_view line : absl::StrSplit(proc_stat, '\n')) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (fields.empty() || fields[0] != "cpu") continue;
    // user nice system idle iowait irq softirq steal: guest time is
    // already inside user and nice.
    uint64_t ticks = 0;
    for (size_t i = 1; i < fields.size() && i <= 8; ++i) {
      uint64_t value = 0;
      if (!absl::SimpleAtoi(fields[i], &value)) {
        return absl::InternalError("/proc/stat: malformed cpu line");
      }
      ticks += value;
    }
    return ticks * (1000000000 / sysconf(_SC_CLK_TCK));
  }
  return absl::InternalError("/proc/stat has no cpu line");
}

absl::Status StreamStats(ContainerCore& core, const v1::StatsRequest& request,
                         const std::function<bool(const v1::StatsReply&)>& send,
                         const std::function<bool()>& cancelled) {
  int samples = request.stream() ? -1 : (request.one_shot() ? 1 : 2);
  for (int sent = 0; samples < 0 || sent < samples; ++sent) {
    if (sent > 0) {
      // A second between samples, noticing a client that leaves.
      for (int i = 0; i < 10; ++i) {
        if (cancelled()) return absl::OkStatus();
        absl::SleepFor(absl::Milliseconds(100));
      }
    }
    BERTH_ASSIGN_OR_RETURN(v1::StatsSample sample, Collect(core, request.id()));
    v1::StatsReply reply;
    *reply.mutable_sample() = std::move(sample);
    if (!send(reply)) return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace berth
