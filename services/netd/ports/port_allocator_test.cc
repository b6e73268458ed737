#include "services/netd/ports/port_allocator.h"

#include <fstream>

#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"

namespace berth::netd {
namespace {

Ipv4 Ip(const char* text) { return *Ipv4::Parse(text); }

TEST(PortAllocatorTest, ExplicitPortsConflictLikeDockers) {
  PortAllocator ports({49153, 49160});
  ASSERT_EQ(*ports.Allocate(Protocol::kTcp, Ip("0.0.0.0"), 8080), 8080);
  absl::StatusOr<int> again =
      ports.Allocate(Protocol::kTcp, Ip("0.0.0.0"), 8080);
  EXPECT_TRUE(absl::IsAlreadyExists(again.status()));
  EXPECT_EQ(again.status().message(),
            "Bind for 0.0.0.0:8080 failed: port is already allocated");
  // 0.0.0.0 covers every address.
  again = ports.Allocate(Protocol::kTcp, Ip("127.0.0.1"), 8080);
  EXPECT_EQ(again.status().message(),
            "Bind for 127.0.0.1:8080 failed: port is already allocated");
  // Another protocol is another port.
  EXPECT_EQ(*ports.Allocate(Protocol::kUdp, Ip("0.0.0.0"), 8080), 8080);
  ports.Release(Protocol::kTcp, Ip("0.0.0.0"), 8080);
  ports.Release(Protocol::kTcp, Ip("0.0.0.0"), 8080);  // idempotent
  EXPECT_TRUE(ports.Allocate(Protocol::kTcp, Ip("127.0.0.1"), 8080).ok());
  // Two specific addresses do not collide; one of them and 0.0.0.0 do.
  EXPECT_TRUE(ports.Allocate(Protocol::kTcp, Ip("127.0.0.2"), 8080).ok());
  EXPECT_FALSE(ports.Allocate(Protocol::kTcp, Ip("0.0.0.0"), 8080).ok());
}

TEST(PortAllocatorTest, EphemeralPortsComeFromTheRangeInTurn) {
  PortAllocator ports({49153, 49155});
  EXPECT_EQ(*ports.Allocate(Protocol::kTcp, Ip("0.0.0.0"), 0), 49153);
  EXPECT_EQ(*ports.Allocate(Protocol::kTcp, Ip("0.0.0.0"), 0), 49154);
  ports.Release(Protocol::kTcp, Ip("0.0.0.0"), 49153);
  // Not the one just freed: the next one after the last handed out.
  EXPECT_EQ(*ports.Allocate(Protocol::kTcp, Ip("0.0.0.0"), 0), 49155);
  EXPECT_EQ(*ports.Allocate(Protocol::kTcp, Ip("0.0.0.0"), 0), 49153);
  absl::StatusOr<int> full = ports.Allocate(Protocol::kTcp, Ip("0.0.0.0"), 0);
  EXPECT_TRUE(absl::IsResourceExhausted(full.status()));
  EXPECT_NE(full.status().message().find("all ports are allocated"),
            std::string::npos);
  // UDP has a range of its own.
  EXPECT_EQ(*ports.Allocate(Protocol::kUdp, Ip("0.0.0.0"), 0), 49153);
  // An explicit port in the range is skipped by later ephemeral ones.
  PortAllocator more({49153, 49155});
  ASSERT_TRUE(more.Allocate(Protocol::kTcp, Ip("10.0.0.1"), 49153).ok());
  EXPECT_EQ(*more.Allocate(Protocol::kTcp, Ip("0.0.0.0"), 0), 49154);
}

TEST(PortAllocatorTest, RefusesBadPorts) {
  PortAllocator ports({49153, 49155});
  EXPECT_TRUE(absl::IsInvalidArgument(
      ports.Allocate(Protocol::kTcp, Ip("0.0.0.0"), 65536).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ports.Allocate(Protocol::kTcp, Ip("0.0.0.0"), -1).status()));
}

TEST(PortAllocatorTest, ReadsTheKernelsEphemeralRange) {
  berth::testing::TempDir tmp;
  std::ofstream(tmp.Join("range")) << "32768\t60999\n";
  absl::StatusOr<PortRange> range = ReadEphemeralPortRange(tmp.Join("range"));
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->first, 32768);
  EXPECT_EQ(range->last, 60999);
  std::ofstream(tmp.Join("bad")) << "60999 32768\n";
  EXPECT_FALSE(ReadEphemeralPortRange(tmp.Join("bad")).ok());
  EXPECT_TRUE(ReadEphemeralPortRange().ok());  // this machine's
}

TEST(PortSpecTest, ParsesDockersForms) {
  absl::StatusOr<PortSpec> spec = ParsePortSpec("80");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->container_port, 80);
  EXPECT_EQ(spec->host_port, 0);
  EXPECT_EQ(spec->protocol, Protocol::kTcp);
  EXPECT_FALSE(spec->host_ip_given);

  spec = ParsePortSpec("8080:80/udp");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->host_port, 8080);
  EXPECT_EQ(spec->container_port, 80);
  EXPECT_EQ(spec->protocol, Protocol::kUdp);

  spec = ParsePortSpec("127.0.0.1:8080:80/TCP");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->host_ip.ToString(), "127.0.0.1");
  EXPECT_TRUE(spec->host_ip_given);
  EXPECT_EQ(spec->host_port, 8080);

  spec = ParsePortSpec("127.0.0.1::80");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->host_port, 0);

  for (const char* bad : {"", "80/sctp", "0", "65536", "a:80", "1.2.3:80:80",
                          "1:2:3:4", "80:", "-1", "+80"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParsePortSpec(bad).status())) << bad;
  }
}

}  // namespace
}  // namespace berth::netd
