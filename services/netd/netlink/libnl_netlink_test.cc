// Runs inside a network namespace of its own (netns_test_main); the
// "containers" are namespaces of child processes (ScratchNetns). Traffic
// stays between them.
#include "services/netd/netlink/libnl_netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "gtest/gtest.h"
#include "lib/base/unique_fd.h"
#include "services/netd/netlink/netns.h"
#include "services/netd/testing/scratch_netns.h"

namespace berth::netd {
namespace {

Ipv4 Ip(const char* text) { return *Ipv4::Parse(text); }
Ipv4Prefix P(const char* text) { return *Ipv4Prefix::Parse(text); }

bool Has(const std::vector<Ipv4Prefix>& list, const Ipv4Prefix& prefix) {
  return std::find(list.begin(), list.end(), prefix) != list.end();
}

// A TCP socket made inside `netns` (or here with ""), bound to ip:port.
UniqueFd TcpSocket(const std::string& netns) {
  int fd = -1;
  auto make = [&fd]() -> absl::Status {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    return absl::OkStatus();
  };
  if (netns.empty()) {
    (void)make();
  } else {
    EXPECT_TRUE(RunInNetns(netns, make).ok());
  }
  return UniqueFd(fd);
}

sockaddr_in Addr(Ipv4 ip, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = ip.ToNetworkOrder();
  addr.sin_port = htons(port);
  return addr;
}

// Listens on ip:port in `server_netns`, connects from `client_netns`, and
// passes a message each way.
void ExpectTcp(const std::string& server_netns, Ipv4 ip,
               const std::string& client_netns) {
  UniqueFd server = TcpSocket(server_netns);
  sockaddr_in addr = Addr(ip, 7777);
  ASSERT_EQ(
      bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
      << strerror(errno);
  ASSERT_EQ(listen(server.get(), 1), 0);
  std::thread accepter([&] {
    UniqueFd conn(accept(server.get(), nullptr, nullptr));
    char buf[5] = {};
    ASSERT_EQ(read(conn.get(), buf, 4), 4);
    EXPECT_STREQ(buf, "ping");
    ASSERT_EQ(write(conn.get(), "pong", 4), 4);
  });
  UniqueFd client = TcpSocket(client_netns);
  ASSERT_EQ(
      connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
      0)
      << "to " << ip.ToString() << ": " << strerror(errno);
  ASSERT_EQ(write(client.get(), "ping", 4), 4);
  char buf[5] = {};
  ASSERT_EQ(read(client.get(), buf, 4), 4);
  EXPECT_STREQ(buf, "pong");
  accepter.join();
}

class LibnlNetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<LibnlNetlink>> netlink =
        LibnlNetlink::Open();
    ASSERT_TRUE(netlink.ok()) << netlink.status();
    nl_ = std::move(*netlink);
  }
  void TearDown() override {
    // The test's namespace dies with the process; tidy up for the next
    // test all the same.
    for (const char* link : {"br-test", "vh0", "vh1", "tmp1"}) {
      (void)nl_->DeleteLink(link);
    }
  }

  std::unique_ptr<LibnlNetlink> nl_;
};

TEST_F(LibnlNetlinkTest, BridgeWithAddressAndRoutes) {
  ASSERT_TRUE(nl_->CreateBridge("br-test", 1400, "02:42:00:00:00:99").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(nl_->CreateBridge("br-test", 0, "")));
  absl::StatusOr<LinkInfo> bridge = nl_->GetLink("br-test");
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  EXPECT_EQ(bridge->kind, "bridge");
  EXPECT_EQ(bridge->mtu, 1400);
  EXPECT_EQ(bridge->mac, "02:42:00:00:00:99");
  EXPECT_FALSE(bridge->up);

  ASSERT_TRUE(nl_->AddAddress("br-test", P("10.55.0.1/24")).ok());
  EXPECT_TRUE(
      absl::IsAlreadyExists(nl_->AddAddress("br-test", P("10.55.0.1/24"))));
  ASSERT_TRUE(nl_->SetUp("br-test").ok());
  ASSERT_TRUE(nl_->SetMtu("br-test", 1500).ok());
  bridge = nl_->GetLink("br-test");
  EXPECT_TRUE(bridge->up);
  EXPECT_EQ(bridge->mtu, 1500);

  absl::StatusOr<std::vector<Ipv4Prefix>> addresses =
      nl_->ListAddresses("br-test");
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  EXPECT_EQ(*addresses, std::vector<Ipv4Prefix>{P("10.55.0.1/24")});
  addresses = nl_->ListAddresses("");
  EXPECT_TRUE(Has(*addresses, P("127.0.0.1/8")));
  absl::StatusOr<std::vector<Ipv4Prefix>> routes = nl_->ListRoutes();
  ASSERT_TRUE(routes.ok()) << routes.status();
  EXPECT_TRUE(Has(*routes, P("10.55.0.0/24")));

  ASSERT_TRUE(nl_->DeleteAddress("br-test", P("10.55.0.1/24")).ok());
  EXPECT_TRUE(nl_->ListAddresses("br-test")->empty());
  EXPECT_TRUE(
      absl::IsNotFound(nl_->DeleteAddress("br-test", P("10.55.0.1/24"))));
}

TEST_F(LibnlNetlinkTest, ErrorsAreClear) {
  EXPECT_TRUE(absl::IsNotFound(nl_->GetLink("nosuchlink").status()));
  EXPECT_TRUE(absl::IsNotFound(nl_->DeleteLink("nosuchlink")));
  EXPECT_TRUE(absl::IsNotFound(nl_->SetUp("nosuchlink")));
  EXPECT_TRUE(absl::IsInvalidArgument(nl_->GetLink("").status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(nl_->CreateBridge("a-name-far-too-long", 0, "")));
  EXPECT_TRUE(absl::IsInvalidArgument(nl_->CreateBridge("br-test", 0, "zz")));
  EXPECT_TRUE(absl::IsNotFound(
      RunInNetns("/nonexistent/netns", [] { return absl::OkStatus(); })));
  EXPECT_TRUE(absl::IsInvalidArgument(
      RunInNetns("/proc/self/ns/uts", [] { return absl::OkStatus(); })));
  EXPECT_TRUE(absl::IsNotFound(LibnlNetlink::OpenAt("/nonexistent").status()));
}

TEST_F(LibnlNetlinkTest, VethIntoAContainerInOneRequest) {
  testing::ScratchNetns container;
  ASSERT_TRUE(container.ok());
  UniqueFd netns(open(container.path().c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_FALSE(*IsOwnNetns(netns.get()));
  UniqueFd own(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  EXPECT_TRUE(*IsOwnNetns(own.get()));

  ASSERT_TRUE(nl_->CreateBridge("br-test", 0, "").ok());
  ASSERT_TRUE(nl_->AddAddress("br-test", P("10.55.0.1/24")).ok());
  ASSERT_TRUE(nl_->SetUp("br-test").ok());
  VethSpec spec;
  spec.name = "vh0";
  spec.peer_name = "eth0";
  spec.mtu = 1400;
  spec.master = "br-test";
  spec.up = true;
  spec.peer_netns_fd = netns.get();
  spec.peer_mac = "02:42:0a:37:00:02";
  absl::Status created = nl_->CreateVeth(spec);
  ASSERT_TRUE(created.ok()) << created;

  absl::StatusOr<LinkInfo> host_end = nl_->GetLink("vh0");
  ASSERT_TRUE(host_end.ok());
  EXPECT_EQ(host_end->kind, "veth");
  EXPECT_EQ(host_end->master_index, nl_->GetLink("br-test")->index);
  EXPECT_TRUE(host_end->up);
  EXPECT_EQ(host_end->mtu, 1400);
  EXPECT_TRUE(absl::IsNotFound(nl_->GetLink("eth0").status()));

  absl::StatusOr<std::unique_ptr<Netlink>> inside =
      nl_->OpenNetns(container.path());
  ASSERT_TRUE(inside.ok()) << inside.status();
  absl::StatusOr<LinkInfo> eth0 = (*inside)->GetLink("eth0");
  ASSERT_TRUE(eth0.ok()) << eth0.status();
  EXPECT_EQ(eth0->mac, "02:42:0a:37:00:02");
  EXPECT_EQ(eth0->mtu, 1400);
  ASSERT_TRUE((*inside)->AddAddress("eth0", P("10.55.0.2/24")).ok());
  ASSERT_TRUE((*inside)->SetUp("eth0").ok());
  ASSERT_TRUE((*inside)->AddDefaultRoute(Ip("10.55.0.1"), "eth0").ok());
  absl::StatusOr<std::vector<Ipv4Prefix>> routes = (*inside)->ListRoutes();
  ASSERT_TRUE(routes.ok());
  EXPECT_TRUE(Has(*routes, P("0.0.0.0/0")));
  EXPECT_TRUE(Has(*routes, P("10.55.0.0/24")));

  // Both ways over the bridge, and out through the default route to an
  // address of this namespace that is not on the bridge's network.
  ExpectTcp(container.path(), Ip("10.55.0.2"), "");
  ExpectTcp("", Ip("10.55.0.1"), container.path());
  ASSERT_TRUE(nl_->AddAddress("lo", P("192.0.2.1/32")).ok());
  ExpectTcp("", Ip("192.0.2.1"), container.path());
  ASSERT_TRUE(nl_->DeleteAddress("lo", P("192.0.2.1/32")).ok());

  // Deleting the host end takes the container's end with it.
  ASSERT_TRUE(nl_->DeleteLink("vh0").ok());
  EXPECT_TRUE(absl::IsNotFound((*inside)->GetLink("eth0").status()));
}

TEST_F(LibnlNetlinkTest, VethStepByStep) {
  testing::ScratchNetns container;
  ASSERT_TRUE(container.ok());
  UniqueFd netns(open(container.path().c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(nl_->CreateBridge("br-test", 0, "").ok());
  VethSpec spec;
  spec.name = "vh1";
  spec.peer_name = "tmp1";
  ASSERT_TRUE(nl_->CreateVeth(spec).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(nl_->CreateVeth(spec)));
  ASSERT_TRUE(nl_->SetMaster("vh1", "br-test").ok());
  EXPECT_EQ(nl_->GetLink("vh1")->master_index, nl_->GetLink("br-test")->index);
  ASSERT_TRUE(nl_->MoveToNetns("tmp1", netns.get()).ok());
  EXPECT_TRUE(absl::IsNotFound(nl_->GetLink("tmp1").status()));

  absl::StatusOr<std::unique_ptr<Netlink>> inside =
      nl_->OpenNetns(container.path());
  ASSERT_TRUE(inside.ok());
  ASSERT_TRUE((*inside)->Rename("tmp1", "eth0").ok());
  ASSERT_TRUE((*inside)->SetMac("eth0", "02:42:0a:37:00:03").ok());
  ASSERT_TRUE((*inside)->SetMtu("eth0", 1300).ok());
  absl::StatusOr<LinkInfo> eth0 = (*inside)->GetLink("eth0");
  ASSERT_TRUE(eth0.ok()) << eth0.status();
  EXPECT_EQ(eth0->mac, "02:42:0a:37:00:03");
  EXPECT_EQ(eth0->mtu, 1300);
  EXPECT_TRUE(absl::IsInvalidArgument((*inside)->SetMac("eth0", "nope")));
}

}  // namespace
}  // namespace berth::netd
