#include "lib/docker/stats_json.h"

namespace berth {
namespace {

using json = nlohmann::json;

constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";

json CpuJson(const v1::StatsSample* sample) {
  v1::StatsSample empty;
  const v1::StatsSample& s = sample ? *sample : empty;
  return {
      {"cpu_usage",
       {{"total_usage", s.cpu_total_ns()},
        {"usage_in_kernelmode", s.cpu_system_ns()},
        {"usage_in_usermode", s.cpu_user_ns()}}},
      {"system_cpu_usage", s.system_cpu_ns()},
      {"online_cpus", s.online_cpus()},
      {"throttling_data",
       {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}},
  };
}

}  // namespace

json StatsJson(const v1::StatsSample& sample, const v1::StatsSample* previous) {
  json memory_stats = json::object();
  if (sample.running()) {
    json stats = json::object();
    for (const auto& [key, value] : sample.memory_stats()) stats[key] = value;
    memory_stats = {{"usage", sample.memory_usage()},
                    {"max_usage", sample.memory_max_usage()},
                    {"limit", sample.memory_limit()},
                    {"stats", stats}};
  }
  json pids = json::object();
  if (sample.running()) {
    pids["current"] = sample.pids_current();
    if (sample.pids_limit() != 0) pids["limit"] = sample.pids_limit();
  }
  return {
      {"id", sample.id()},
      {"name", sample.name()},
      {"read", sample.read()},
      {"preread", previous ? previous->read() : kZeroTime},
      {"num_procs", 0},
      {"pids_stats", pids},
      {"cpu_stats", CpuJson(&sample)},
      {"precpu_stats", CpuJson(previous)},
      {"memory_stats", memory_stats},
      {"blkio_stats",
       {{"io_service_bytes_recursive", nullptr},
        {"io_serviced_recursive", nullptr},
        {"io_queue_recursive", nullptr},
        {"io_service_time_recursive", nullptr},
        {"io_wait_time_recursive", nullptr},
        {"io_merged_recursive", nullptr},
        {"io_time_recursive", nullptr},
        {"sectors_recursive", nullptr}}},
      {"storage_stats", json::object()},
  };
}

}  // namespace berth
