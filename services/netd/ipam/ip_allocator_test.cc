#include "services/netd/ipam/ip_allocator.h"

#include <unistd.h>

#include <fstream>

#include "gtest/gtest.h"
#include "lib/base/files.h"
#include "lib/testing/temp_dir.h"

namespace berth::netd {
namespace {

Ipv4 Ip(const char* text) { return *Ipv4::Parse(text); }
Ipv4Prefix P(const char* text) { return *Ipv4Prefix::Parse(text); }

class IpAllocatorTest : public ::testing::Test {
 protected:
  std::unique_ptr<IpAllocator> Open(const char* subnet, const char* gateway,
                                    std::optional<Ipv4Prefix> range = {}) {
    IpAllocatorOptions options;
    options.dir = tmp_.Join("ipam");
    options.subnet = P(subnet);
    options.gateway = Ip(gateway);
    options.range = range;
    absl::StatusOr<std::unique_ptr<IpAllocator>> allocator =
        IpAllocator::Open(options);
    EXPECT_TRUE(allocator.ok()) << allocator.status();
    return allocator.ok() ? std::move(*allocator) : nullptr;
  }

  berth::testing::TempDir tmp_;
};

TEST_F(IpAllocatorTest, HandsOutAddressesInOrderSkippingTheGateway) {
  auto ipam = Open("172.17.0.1/16", "172.17.0.1");
  EXPECT_EQ(ipam->Allocate("a")->ToString(), "172.17.0.2");
  EXPECT_EQ(ipam->Allocate("b")->ToString(), "172.17.0.3");
  // The same owner again: the same address, no second one.
  EXPECT_EQ(ipam->Allocate("a")->ToString(), "172.17.0.2");
  EXPECT_EQ(ipam->Allocations().size(), 2u);
  EXPECT_EQ(ipam->Lookup("b")->ToString(), "172.17.0.3");
  EXPECT_FALSE(ipam->Lookup("c").has_value());
  EXPECT_TRUE(absl::IsInvalidArgument(ipam->Allocate("").status()));
}

TEST_F(IpAllocatorTest, AReleasedAddressIsNotReusedAtOnce) {
  auto ipam = Open("10.9.0.1/24", "10.9.0.1");
  ASSERT_EQ(ipam->Allocate("a")->ToString(), "10.9.0.2");
  ASSERT_EQ(ipam->Allocate("b")->ToString(), "10.9.0.3");
  ASSERT_TRUE(ipam->Release("a").ok());
  EXPECT_TRUE(ipam->Release("a").ok());  // idempotent
  EXPECT_EQ(ipam->Allocate("c")->ToString(), "10.9.0.4");
}

TEST_F(IpAllocatorTest, SurvivesARestart) {
  {
    auto ipam = Open("10.9.0.1/24", "10.9.0.1");
    ASSERT_TRUE(ipam->Allocate("a").ok());
    ASSERT_TRUE(ipam->Allocate("b").ok());
    ASSERT_TRUE(ipam->Release("a").ok());
  }
  // An interrupted allocation leaves a temp file; it is swept.
  std::ofstream(tmp_.Join("ipam/.tmp-10.9.0.9")) << "x";
  auto ipam = Open("10.9.0.1/24", "10.9.0.1");
  EXPECT_EQ(ipam->Lookup("b")->ToString(), "10.9.0.3");
  EXPECT_FALSE(ipam->Lookup("a").has_value());
  // Continues after the highest address held.
  EXPECT_EQ(ipam->Allocate("c")->ToString(), "10.9.0.4");
  EXPECT_NE(access(tmp_.Join("ipam/.tmp-10.9.0.9").c_str(), F_OK), 0);
  EXPECT_EQ(*ReadFile(tmp_.Join("ipam/10.9.0.4")), "c");
}

TEST_F(IpAllocatorTest, FixedCidrIsWhereDynamicAddressesComeFrom) {
  auto ipam = Open("172.17.0.1/16", "172.17.0.1", P("172.17.5.0/30"));
  // A /30 range: .5.0 and .5.3 are its own network and broadcast.
  EXPECT_EQ(ipam->Allocate("a")->ToString(), "172.17.5.1");
  EXPECT_EQ(ipam->Allocate("b")->ToString(), "172.17.5.2");
  absl::StatusOr<Ipv4> full = ipam->Allocate("c");
  EXPECT_TRUE(absl::IsResourceExhausted(full.status())) << full.status();
  // A requested address may lie anywhere in the subnet.
  EXPECT_EQ(ipam->Allocate("c", Ip("172.17.9.9"))->ToString(), "172.17.9.9");
}

TEST_F(IpAllocatorTest, RequestedAddresses) {
  auto ipam = Open("172.17.0.1/16", "172.17.0.1");
  EXPECT_EQ(ipam->Allocate("a", Ip("172.17.0.20"))->ToString(), "172.17.0.20");
  EXPECT_EQ(ipam->Allocate("a", Ip("172.17.0.20"))->ToString(), "172.17.0.20");
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ipam->Allocate("a", Ip("172.17.0.21")).status()));
  absl::StatusOr<Ipv4> taken = ipam->Allocate("b", Ip("172.17.0.20"));
  EXPECT_TRUE(absl::IsAlreadyExists(taken.status()));
  EXPECT_NE(taken.status().message().find("in use by a"), std::string::npos);
  for (const char* bad :
       {"172.17.0.1", "172.17.0.0", "172.17.255.255", "172.18.0.2"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ipam->Allocate("b", Ip(bad)).status()))
        << bad;
  }
  // Dynamic allocation goes on after the requested one.
  EXPECT_EQ(ipam->Allocate("b")->ToString(), "172.17.0.21");
}

TEST_F(IpAllocatorTest, WrapsAndExhausts) {
  auto ipam = Open("10.0.0.1/29", "10.0.0.1");  // .2 ... .6
  for (const char* owner : {"a", "b", "c", "d", "e"}) {
    ASSERT_TRUE(ipam->Allocate(owner).ok()) << owner;
  }
  EXPECT_TRUE(absl::IsResourceExhausted(ipam->Allocate("f").status()));
  ASSERT_TRUE(ipam->Release("b").ok());
  EXPECT_EQ(ipam->Allocate("f")->ToString(), "10.0.0.3");
}

TEST_F(IpAllocatorTest, RefusesBadOptions) {
  IpAllocatorOptions options;
  options.dir = tmp_.Join("ipam");
  options.subnet = P("10.0.0.1/31");
  EXPECT_TRUE(absl::IsInvalidArgument(IpAllocator::Open(options).status()));
  options.subnet = P("10.0.0.1/16");
  options.range = P("10.1.0.0/24");
  absl::Status outside = IpAllocator::Open(options).status();
  EXPECT_TRUE(absl::IsInvalidArgument(outside));
  EXPECT_NE(outside.message().find("not inside"), std::string::npos);
}

TEST_F(IpAllocatorTest, KeepsAllocationsFromAnEarlierSubnet) {
  {
    auto ipam = Open("10.0.0.1/24", "10.0.0.1");
    ASSERT_EQ(ipam->Allocate("old")->ToString(), "10.0.0.2");
  }
  auto ipam = Open("10.1.0.1/24", "10.1.0.1");
  EXPECT_EQ(ipam->Lookup("old")->ToString(), "10.0.0.2");
  EXPECT_EQ(ipam->Allocate("new")->ToString(), "10.1.0.2");
  ASSERT_TRUE(ipam->Release("old").ok());
  EXPECT_NE(access(tmp_.Join("ipam/10.0.0.2").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace berth::netd
