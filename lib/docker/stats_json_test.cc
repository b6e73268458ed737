#include "lib/docker/stats_json.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(StatsJsonTest, ThePreviousSampleIsPrecpu) {
  v1::StatsSample previous;
  previous.set_read("2026-12-03T10:00:00Z");
  previous.set_cpu_total_ns(1000);
  previous.set_system_cpu_ns(50000);
  v1::StatsSample sample;
  sample.set_id("abc");
  sample.set_name("/web");
  sample.set_running(true);
  sample.set_read("2026-12-03T10:00:01Z");
  sample.set_cpu_total_ns(3000);
  sample.set_system_cpu_ns(90000);
  sample.set_online_cpus(2);
  sample.set_memory_usage(4096);
  sample.set_memory_limit(1 << 20);
  (*sample.mutable_memory_stats())["inactive_file"] = 1024;
  sample.set_pids_current(3);
  nlohmann::json out = StatsJson(sample, &previous);
  EXPECT_EQ(out["name"], "/web");
  EXPECT_EQ(out["preread"], "2026-12-03T10:00:00Z");
  EXPECT_EQ(out["cpu_stats"]["cpu_usage"]["total_usage"], 3000);
  EXPECT_EQ(out["precpu_stats"]["cpu_usage"]["total_usage"], 1000);
  EXPECT_EQ(out["precpu_stats"]["system_cpu_usage"], 50000);
  EXPECT_EQ(out["cpu_stats"]["online_cpus"], 2);
  EXPECT_EQ(out["memory_stats"]["usage"], 4096);
  EXPECT_EQ(out["memory_stats"]["limit"], 1 << 20);
  EXPECT_EQ(out["memory_stats"]["stats"]["inactive_file"], 1024);
  EXPECT_EQ(out["pids_stats"]["current"], 3);
  EXPECT_FALSE(out["pids_stats"].contains("limit"));
}

TEST(StatsJsonTest, AStoppedContainerHasEmptyMemoryAndPids) {
  v1::StatsSample sample;
  sample.set_name("/gone");
  nlohmann::json out = StatsJson(sample, nullptr);
  EXPECT_TRUE(out["memory_stats"].empty());
  EXPECT_TRUE(out["pids_stats"].empty());
  EXPECT_EQ(out["preread"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(out["precpu_stats"]["cpu_usage"]["total_usage"], 0);
}

}  // namespace
}  // namespace berth
