#include "services/netd/ipam/ipv4.h"

#include "gtest/gtest.h"

namespace berth::netd {
namespace {

TEST(Ipv4Test, ParsesAndPrintsDottedQuads) {
  absl::StatusOr<Ipv4> ip = Ipv4::Parse("172.17.0.1");
  ASSERT_TRUE(ip.ok()) << ip.status();
  EXPECT_EQ(ip->value(), 0xac110001u);
  EXPECT_EQ(ip->ToString(), "172.17.0.1");
  EXPECT_EQ(Ipv4::FromNetworkOrder(ip->ToNetworkOrder()), *ip);
  EXPECT_TRUE(Ipv4::Parse("0.0.0.0")->IsUnspecified());
  EXPECT_EQ(Ipv4::Parse("255.255.255.255")->value(), 0xffffffffu);
}

TEST(Ipv4Test, RefusesAnythingElse) {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "01.2.3.4",
        "1.2.3.4 ", "a.b.c.d", "1..2.3", "::1", "1.2.3.4/8"}) {
    absl::StatusOr<Ipv4> ip = Ipv4::Parse(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(ip.status())) << bad;
  }
}

TEST(Ipv4PrefixTest, KeepsHostBitsAndKnowsItsNetwork) {
  absl::StatusOr<Ipv4Prefix> prefix = Ipv4Prefix::Parse("172.17.42.1/16");
  ASSERT_TRUE(prefix.ok()) << prefix.status();
  EXPECT_EQ(prefix->ToString(), "172.17.42.1/16");
  EXPECT_EQ(prefix->Network().ToString(), "172.17.0.0/16");
  EXPECT_EQ(prefix->First().ToString(), "172.17.0.0");
  EXPECT_EQ(prefix->Last().ToString(), "172.17.255.255");
  EXPECT_EQ(prefix->Size(), 65536u);
  EXPECT_TRUE(prefix->Contains(*Ipv4::Parse("172.17.200.3")));
  EXPECT_FALSE(prefix->Contains(*Ipv4::Parse("172.18.0.1")));
  EXPECT_EQ(Ipv4Prefix::Parse("0.0.0.0/0")->mask(), 0u);
  EXPECT_EQ(Ipv4Prefix::Parse("10.1.2.3/32")->Last().ToString(), "10.1.2.3");
}

TEST(Ipv4PrefixTest, ContainsAndOverlaps) {
  Ipv4Prefix big = *Ipv4Prefix::Parse("172.17.0.0/16");
  Ipv4Prefix inside = *Ipv4Prefix::Parse("172.17.1.0/24");
  Ipv4Prefix beside = *Ipv4Prefix::Parse("172.18.0.0/16");
  EXPECT_TRUE(big.Contains(inside));
  EXPECT_FALSE(inside.Contains(big));
  EXPECT_TRUE(big.Overlaps(inside));
  EXPECT_TRUE(inside.Overlaps(big));
  EXPECT_FALSE(big.Overlaps(beside));
  EXPECT_TRUE(Ipv4Prefix::Parse("0.0.0.0/0")->Overlaps(beside));
}

TEST(Ipv4PrefixTest, RefusesBadCidrs) {
  for (const char* bad :
       {"172.17.0.1", "172.17.0.1/33", "172.17.0.1/", "172.17.0.1/-1",
        "172.17.0.1/+8", "172.17.0/16", "/16", "1.2.3.4/1/2"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(Ipv4Prefix::Parse(bad).status()))
        << bad;
  }
}

}  // namespace
}  // namespace berth::netd
