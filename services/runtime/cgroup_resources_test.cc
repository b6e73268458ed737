#include "services/runtime/cgroup_resources.h"

#include "gtest/gtest.h"

namespace berth::runtime {
namespace {

std::string Find(const std::vector<CgroupWrite>& writes,
                 const std::string& file) {
  for (const CgroupWrite& write : writes) {
    if (write.file == file) return write.value;
  }
  return "<unset>";
}

Resources AllSet() {
  Resources r;
  r.memory_limit = 64 << 20;
  r.memory_swap = 96 << 20;
  r.cpu_shares = 512;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.pids_limit = 100;
  r.cpuset_cpus = "0";
  r.cpuset_mems = "0";
  return r;
}

TEST(CgroupResourcesTest, V1Files) {
  std::vector<CgroupWrite> writes = V1ResourceWrites(AllSet());
  EXPECT_EQ(Find(writes, "memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(Find(writes, "memory.memsw.limit_in_bytes"), "100663296");
  EXPECT_EQ(Find(writes, "cpu.shares"), "512");
  EXPECT_EQ(Find(writes, "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(Find(writes, "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Find(writes, "pids.max"), "100");
  EXPECT_EQ(Find(writes, "cpuset.cpus"), "0");
  // Order: cpuset first, the limit before memsw, the period before quota.
  EXPECT_EQ(writes.front().file, "cpuset.cpus");
  auto index = [&](const std::string& file) {
    for (size_t i = 0; i < writes.size(); ++i) {
      if (writes[i].file == file) return i;
    }
    return writes.size();
  };
  EXPECT_LT(index("memory.limit_in_bytes"),
            index("memory.memsw.limit_in_bytes"));
  EXPECT_LT(index("cpu.cfs_period_us"), index("cpu.cfs_quota_us"));
  for (const CgroupWrite& write : writes) {
    EXPECT_EQ(write.optional, write.file == "memory.memsw.limit_in_bytes");
  }
}

TEST(CgroupResourcesTest, V2Files) {
  std::vector<CgroupWrite> writes = V2ResourceWrites(AllSet());
  EXPECT_EQ(Find(writes, "memory.max"), "67108864");
  EXPECT_EQ(Find(writes, "memory.swap.max"), "33554432");
  EXPECT_EQ(Find(writes, "cpu.weight"), "20");
  EXPECT_EQ(Find(writes, "cpu.max"), "50000 100000");
  EXPECT_EQ(Find(writes, "pids.max"), "100");
  EXPECT_EQ(Find(writes, "cpuset.mems"), "0");
}

TEST(CgroupResourcesTest, UnlimitedValues) {
  Resources r;
  r.memory_limit = -1;
  r.memory_swap = -1;
  r.cpu_quota = -1;
  r.pids_limit = -1;
  ASSERT_TRUE(ValidateResources(r).ok());
  std::vector<CgroupWrite> v2 = V2ResourceWrites(r);
  EXPECT_EQ(Find(v2, "memory.max"), "max");
  EXPECT_EQ(Find(v2, "memory.swap.max"), "max");
  EXPECT_EQ(Find(v2, "cpu.max"), "max 100000");
  EXPECT_EQ(Find(v2, "pids.max"), "max");
  std::vector<CgroupWrite> v1 = V1ResourceWrites(r);
  EXPECT_EQ(Find(v1, "memory.limit_in_bytes"), "-1");
  EXPECT_EQ(Find(v1, "pids.max"), "max");
}

TEST(CgroupResourcesTest, ZeroMeansUnset) {
  Resources r;
  r.memory_limit = 0;
  r.cpu_shares = 0;
  r.cpu_quota = 0;
  EXPECT_TRUE(V1ResourceWrites(r).empty());
  EXPECT_TRUE(V2ResourceWrites(r).empty());
}

TEST(CgroupResourcesTest, SharesToWeightLikeRunc) {
  EXPECT_EQ(CpuSharesToWeight(0), 0u);
  EXPECT_EQ(CpuSharesToWeight(2), 1u);
  EXPECT_EQ(CpuSharesToWeight(1024), 39u);
  EXPECT_EQ(CpuSharesToWeight(262144), 10000u);
  EXPECT_EQ(CpuSharesToWeight(1), 1u);  // clamped like the kernel does
  EXPECT_EQ(CpuSharesToWeight(1u << 30), 10000u);
}

TEST(CgroupResourcesTest, ValidationNamesTheValue) {
  struct Case {
    Resources r;
    const char* message;
  };
  std::vector<Case> cases(6);
  cases[0].r.memory_limit = -5;
  cases[0].message = "invalid memory limit -5";
  cases[1].r.memory_limit = 100;
  cases[1].r.memory_swap = 50;
  cases[1].message = "memory+swap limit 50 must be at least the memory limit";
  cases[2].r.memory_swap = 500;
  cases[2].message = "needs a memory limit";
  cases[3].r.cpu_period = 10;
  cases[3].message = "CPU period 10 must be between";
  cases[4].r.cpu_quota = 10;
  cases[4].message = "CPU quota 10";
  cases[5].r.cpuset_cpus = "0-";
  cases[5].message = "invalid cpu/node list \"0-\"";
  for (const Case& c : cases) {
    absl::Status status = ValidateResources(c.r);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(c.message), absl::string_view::npos)
        << status;
  }
  EXPECT_TRUE(ValidateResources(AllSet()).ok());
}

TEST(CgroupResourcesTest, CpuLists) {
  EXPECT_EQ(*ParseCpuList("0-2,4\n"), (std::set<int>{0, 1, 2, 4}));
  EXPECT_TRUE(ParseCpuList("")->empty());
  EXPECT_FALSE(ParseCpuList("a").ok());
  EXPECT_FALSE(ParseCpuList("3-1").ok());
}

}  // namespace
}  // namespace berth::runtime
