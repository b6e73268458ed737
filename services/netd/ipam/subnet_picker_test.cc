#include "services/netd/ipam/subnet_picker.h"

#include "gtest/gtest.h"

namespace berth::netd {
namespace {

Ipv4Prefix P(const char* text) { return *Ipv4Prefix::Parse(text); }

TEST(SubnetPickerTest, CandidatesAreDockersPools) {
  std::vector<Ipv4Prefix> candidates = DefaultBridgeCandidates();
  ASSERT_EQ(candidates.size(), 15u + 16u);
  EXPECT_EQ(candidates.front().ToString(), "172.17.0.0/16");
  EXPECT_EQ(candidates[14].ToString(), "172.31.0.0/16");
  EXPECT_EQ(candidates[15].ToString(), "192.168.0.0/20");
  EXPECT_EQ(candidates.back().ToString(), "192.168.240.0/20");
}

TEST(SubnetPickerTest, TakesTheFirstFreeNetworksFirstHost) {
  absl::StatusOr<Ipv4Prefix> picked =
      PickBridgeAddress(DefaultBridgeCandidates(), {});
  ASSERT_TRUE(picked.ok()) << picked.status();
  EXPECT_EQ(picked->ToString(), "172.17.0.1/16");
}

TEST(SubnetPickerTest, SkipsOverlappingRoutesButNotTheDefaultRoute) {
  absl::StatusOr<Ipv4Prefix> picked = PickBridgeAddress(
      DefaultBridgeCandidates(),
      {P("0.0.0.0/0"), P("172.17.5.0/24"), P("172.16.0.0/12") /* all 172 */,
       P("192.168.0.7/32")});
  ASSERT_TRUE(picked.ok()) << picked.status();
  EXPECT_EQ(picked->ToString(), "192.168.16.1/20");

  // A route wider than a candidate blocks it too.
  picked = PickBridgeAddress({P("10.0.0.0/16"), P("10.1.0.0/16")},
                             {P("10.0.0.0/8")});
  EXPECT_TRUE(absl::IsFailedPrecondition(picked.status()));
  EXPECT_NE(picked.status().message().find("--bip"), std::string::npos);
}

}  // namespace
}  // namespace berth::netd
