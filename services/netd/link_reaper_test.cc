#include "services/netd/link_reaper.h"

#include "gtest/gtest.h"
#include "services/netd/fakes.h"

namespace berth::netd {
namespace {

TEST(LinkReaperTest, DeletesQueuedLinksAndAwaitsThem) {
  testing::FakeNetworkWorld world;
  testing::FakeNetlink netlink(&world, "host");
  ASSERT_TRUE(netlink.CreateBridge("br0", 1500, "").ok());
  for (const char* name : {"veth-a", "veth-b"}) {
    VethSpec spec;
    spec.name = name;
    spec.peer_name = std::string(name) + "-peer";
    ASSERT_TRUE(netlink.CreateVeth(spec).ok());
  }
  testing::FakeNetlink reaper_netlink(&world, "host");
  {
    LinkReaper reaper(&reaper_netlink);
    reaper.Delete("veth-a");
    reaper.Delete("veth-a");  // queued once
    reaper.Delete("no-such-link");
    reaper.AwaitGone("veth-a");
    EXPECT_TRUE(absl::IsNotFound(netlink.GetLink("veth-a").status()));
    EXPECT_TRUE(netlink.GetLink("veth-b").ok());
    // Not queued: returns at once.
    reaper.AwaitGone("veth-b");
    reaper.Delete("veth-b");
  }
  // The destructor finished the queue.
  EXPECT_TRUE(absl::IsNotFound(netlink.GetLink("veth-b").status()));
  EXPECT_TRUE(netlink.GetLink("br0").ok());
}

}  // namespace
}  // namespace berth::netd
