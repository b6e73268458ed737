#include "services/runtime/capabilities.h"

#include <linux/capability.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace berth::runtime {
namespace {

TEST(CapabilitiesTest, TableMatchesTheKernelHeaders) {
  EXPECT_EQ(CapabilityName(CAP_CHOWN), "CAP_CHOWN");
  EXPECT_EQ(CapabilityName(CAP_NET_ADMIN), "CAP_NET_ADMIN");
  EXPECT_EQ(CapabilityName(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
  EXPECT_EQ(CapabilityName(CAP_AUDIT_READ), "CAP_AUDIT_READ");
  EXPECT_EQ(CapabilityName(CAP_CHECKPOINT_RESTORE), "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(kMaxCapability, CAP_LAST_CAP);
  EXPECT_EQ(CapabilityName(-1), "");
  EXPECT_EQ(CapabilityName(kMaxCapability + 1), "");
  for (int cap = 0; cap <= kMaxCapability; ++cap) {
    absl::StatusOr<int> parsed = ParseCapability(CapabilityName(cap));
    ASSERT_TRUE(parsed.ok()) << cap;
    EXPECT_EQ(*parsed, cap);
  }
}

TEST(CapabilitiesTest, ParsesDockerSpellings) {
  EXPECT_EQ(*ParseCapability("NET_ADMIN"), CAP_NET_ADMIN);
  EXPECT_EQ(*ParseCapability("CAP_NET_ADMIN"), CAP_NET_ADMIN);
  EXPECT_EQ(*ParseCapability("cap_net_admin"), CAP_NET_ADMIN);
  absl::StatusOr<int> bad = ParseCapability("NET_FLY");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "unknown capability: \"NET_FLY\"");
  EXPECT_FALSE(ParseCapability("ALL").ok());
}

// The bounding set as /proc shows it, the independent view of what "ALL"
// can be.
std::vector<int> BoundingSetFromProc() {
  std::ifstream status("/proc/self/status");
  std::string line;
  uint64_t mask = 0;
  while (std::getline(status, line)) {
    if (line.rfind("CapBnd:", 0) == 0)
      mask = std::stoull(line.substr(7), nullptr, 16);
  }
  std::vector<int> caps;
  for (int cap = 0; cap <= kMaxCapability; ++cap) {
    if (mask & (uint64_t{1} << cap)) caps.push_back(cap);
  }
  return caps;
}

TEST(CapabilitiesTest, AllIsEveryCapabilityOfTheBoundingSet) {
  absl::StatusOr<std::vector<int>> all = ParseCapabilities({"ALL"});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, BoundingSetFromProc());
  EXPECT_NE(std::find(all->begin(), all->end(), CAP_SYS_ADMIN), all->end());
  absl::StatusOr<std::vector<int>> some =
      ParseCapabilities({"KILL", "CAP_CHOWN", "kill"});
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(*some, (std::vector<int>{CAP_CHOWN, CAP_KILL}));
}

TEST(CapabilitiesTest, DockerDefaults) {
  std::vector<int> caps = DockerDefaultCapabilities();
  EXPECT_EQ(caps.size(), 14u);
  for (int cap :
       {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
        CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
        CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE}) {
    EXPECT_NE(std::find(caps.begin(), caps.end(), cap), caps.end())
        << CapabilityName(cap);
  }
}

TEST(CapabilitiesTest, TweakLikeDocker) {
  std::vector<int> base = DockerDefaultCapabilities();
  absl::StatusOr<std::vector<int>> tweaked =
      TweakCapabilities(base, {"NET_ADMIN"}, {"CHOWN", "CAP_KILL"});
  ASSERT_TRUE(tweaked.ok());
  EXPECT_EQ(tweaked->size(), 13u);
  EXPECT_NE(std::find(tweaked->begin(), tweaked->end(), CAP_NET_ADMIN),
            tweaked->end());
  EXPECT_EQ(std::find(tweaked->begin(), tweaked->end(), CAP_CHOWN),
            tweaked->end());

  EXPECT_EQ(*TweakCapabilities(base, {"KILL"}, {"ALL"}),
            std::vector<int>{CAP_KILL});
  EXPECT_EQ(TweakCapabilities(base, {"ALL"}, {"KILL"})->size(),
            BoundingSetFromProc().size());
  EXPECT_FALSE(TweakCapabilities(base, {"BOGUS"}, {}).ok());
}

TEST(CapabilitiesTest, Mask) {
  EXPECT_EQ(CapabilityMask({0, 1, 40}),
            (1ULL << 0) | (1ULL << 1) | (1ULL << 40));
  EXPECT_EQ(CapabilityMask({-1, 64}), 0u);
  EXPECT_GE(LastCapability(), 36);
}

}  // namespace
}  // namespace berth::runtime
