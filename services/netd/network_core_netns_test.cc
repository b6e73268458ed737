// The real driver (libnl, iptables, the userland proxy, sysctls) inside a
// network namespace of the test's own (netns_test_main); containers are
// child processes' namespaces (ScratchNetns). Traffic stays between them
// and the test's loopback.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <regex>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/subprocess.h"
#include "lib/base/unique_fd.h"
#include "lib/testing/temp_dir.h"
#include "services/netd/firewall/iptables_firewall.h"
#include "services/netd/firewall/iptables_runner.h"
#include "services/netd/netlink/libnl_netlink.h"
#include "services/netd/netlink/netns.h"
#include "services/netd/network_core.h"
#include "services/netd/ports/userland_proxy.h"
#include "services/netd/testing/scratch_netns.h"

namespace berth::netd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Output(const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> result = RunCommand(argv);
  EXPECT_TRUE(result.ok() && result->exit_code == 0)
      << argv[0] << ": " << (result.ok() ? result->err : "");
  return result.ok() ? result->out : "";
}

// iptables-save without its dated comments and counters.
std::string Save() {
  std::string out;
  for (absl::string_view line :
       absl::StrSplit(Output({"iptables-save"}), '\n')) {
    if (line.empty() || line[0] == '#') continue;
    out += std::regex_replace(std::string(line), std::regex(R"( \[\d+:\d+\])"),
                              "");
    out += "\n";
  }
  return out;
}

UniqueFd Socket(const std::string& netns, int type) {
  int fd = -1;
  auto make = [&]() -> absl::Status {
    fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    return absl::OkStatus();
  };
  if (netns.empty()) {
    (void)make();
  } else {
    EXPECT_TRUE(RunInNetns(netns, make).ok());
  }
  return UniqueFd(fd);
}

sockaddr_in Addr(const std::string& ip, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  addr.sin_port = htons(port);
  return addr;
}

// A TCP server in a container's namespace answering "hello from NAME"
// to every connection, until destroyed.
class Server {
 public:
  Server(const std::string& netns, const std::string& ip, int port,
         std::string name)
      : fd_(Socket(netns, SOCK_STREAM)), name_(std::move(name)) {
    int on = 1;
    setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in addr = Addr(ip, port);
    EXPECT_EQ(bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
              0);
    EXPECT_EQ(listen(fd_.get(), 8), 0);
    thread_ = std::thread([this] {
      while (true) {
        pollfd pfd{fd_.get(), POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0) {
          if (stop_) return;
          continue;
        }
        UniqueFd conn(accept(fd_.get(), nullptr, nullptr));
        std::string hello = "hello from " + name_;
        (void)!write(conn.get(), hello.data(), hello.size());
      }
    });
  }
  ~Server() {
    stop_ = true;
    thread_.join();
  }

 private:
  UniqueFd fd_;
  std::string name_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// What a server at ip:port says to a client in `netns`; "" when it cannot
// be reached within a second.
std::string Ask(const std::string& netns, const std::string& ip, int port) {
  UniqueFd fd = Socket(netns, SOCK_STREAM | SOCK_NONBLOCK);
  sockaddr_in addr = Addr(ip, port);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
          0 &&
      errno != EINPROGRESS) {
    return "";
  }
  std::string out;
  while (true) {
    pollfd pfd{fd.get(), POLLIN, 0};
    if (poll(&pfd, 1, 1000) <= 0) return out;
    char buf[256];
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n <= 0) return out;
    out.append(buf, n);
  }
}

// One berth-netd's worth of real parts.
struct Driver {
  explicit Driver(NetworkOptions options) {
    netlink = *LibnlNetlink::Open();
    reaper_netlink = *LibnlNetlink::Open();
    reaper = std::make_unique<LinkReaper>(reaper_netlink.get());
    firewall = std::make_unique<IptablesFirewall>(&runner);
    NetworkDeps deps;
    deps.netlink = netlink.get();
    deps.reaper = reaper.get();
    deps.firewall = firewall.get();
    deps.proxy = &proxy;
    deps.sysctl = &sysctl;
    deps.ephemeral_ports = *ReadEphemeralPortRange();
    core = std::make_unique<NetworkCore>(std::move(options), deps);
  }

  std::unique_ptr<LibnlNetlink> netlink;
  std::unique_ptr<LibnlNetlink> reaper_netlink;
  std::unique_ptr<LinkReaper> reaper;
  CommandIptablesRunner runner;
  std::unique_ptr<IptablesFirewall> firewall;
  UserlandProxy proxy;
  ProcSysctl sysctl;
  std::unique_ptr<NetworkCore> core;
};

class NetworkCoreNetnsTest : public ::testing::Test {
 protected:
  NetworkOptions Options() {
    NetworkOptions options;
    options.state_dir = tmp_.Join("network");
    return options;
  }

  static absl::StatusOr<v1::NetworkInterface> Allocate(
      NetworkCore& core, const std::string& id, const std::string& netns) {
    v1::AllocateInterfaceRequest request;
    request.set_container_id(id);
    request.set_netns_path(netns);
    return core.AllocateInterface(request);
  }

  static absl::StatusOr<v1::PortBinding> Publish(NetworkCore& core,
                                                 const std::string& id,
                                                 int host_port,
                                                 int container_port) {
    v1::AllocatePortRequest request;
    request.set_container_id(id);
    request.set_host_port(host_port);
    request.set_container_port(container_port);
    return core.AllocatePort(request);
  }

  void TearDown() override {
    // Each test starts from a clean namespace: no bridge, no rules.
    std::unique_ptr<LibnlNetlink> netlink = *LibnlNetlink::Open();
    (void)netlink->DeleteLink(kDefaultBridge);
    for (const char* table : {"nat", "filter"}) {
      RunCommand({"iptables", "-w", "-t", table, "-F"}).IgnoreError();
      RunCommand({"iptables", "-w", "-t", table, "-X"}).IgnoreError();
    }
  }

  berth::testing::TempDir tmp_;
};

TEST_F(NetworkCoreNetnsTest, ContainersTalkPublishRestartAndRelease) {
  testing::ScratchNetns c1, c2;
  ASSERT_TRUE(c1.ok() && c2.ok());
  std::string rules_before_ports;
  std::string rules_with_ports;
  {
    Driver driver(Options());
    absl::StatusOr<v1::InitDriverReply> init = driver.core->InitDriver();
    ASSERT_TRUE(init.ok()) << init.status();
    EXPECT_EQ(init->bridge(), "berth0");
    EXPECT_EQ(init->bridge_address(), "172.17.0.1/16");
    EXPECT_EQ(Output({"cat", "/proc/sys/net/ipv4/ip_forward"}), "1\n");

    absl::StatusOr<v1::NetworkInterface> one =
        Allocate(*driver.core, "one", c1.path());
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_EQ(one->ip(), "172.17.0.2");
    absl::StatusOr<v1::NetworkInterface> two =
        Allocate(*driver.core, "two", c2.path());
    ASSERT_TRUE(two.ok()) << two.status();
    EXPECT_EQ(two->ip(), "172.17.0.3");
    // The container's view, through the ip tool inside its namespace.
    std::string inside = Output({"nsenter", "--net=" + c1.path(), "ip", "-o",
                                 "addr", "show", "dev", "eth0"});
    EXPECT_THAT(inside, HasSubstr("inet 172.17.0.2/16 brd 172.17.255.255"));
    EXPECT_THAT(Output({"nsenter", "--net=" + c1.path(), "ip", "route"}),
                HasSubstr("default via 172.17.0.1 dev eth0"));
    EXPECT_THAT(
        Output({"nsenter", "--net=" + c1.path(), "ip", "link", "show", "eth0"}),
        HasSubstr("link/ether 02:42:ac:11:00:02"));

    Server server1(c1.path(), "0.0.0.0", 80, "one");
    Server server2(c2.path(), "0.0.0.0", 80, "two");
    // Host to container, container to container (ICC), container to host.
    EXPECT_EQ(Ask("", "172.17.0.2", 80), "hello from one");
    EXPECT_EQ(Ask(c2.path(), "172.17.0.2", 80), "hello from one");
    EXPECT_EQ(Ask(c1.path(), "172.17.0.3", 80), "hello from two");
    rules_before_ports = Save();

    // Published: reachable on loopback (the proxy), on the bridge's
    // address from a container, and DNAT'ed for everything else.
    absl::StatusOr<v1::PortBinding> web =
        Publish(*driver.core, "one", 8080, 80);
    ASSERT_TRUE(web.ok()) << web.status();
    EXPECT_EQ(Ask("", "127.0.0.1", 8080), "hello from one");
    EXPECT_EQ(Ask(c2.path(), "172.17.0.1", 8080), "hello from one");
    absl::StatusOr<v1::PortBinding> ephemeral =
        Publish(*driver.core, "two", 0, 80);
    ASSERT_TRUE(ephemeral.ok()) << ephemeral.status();
    EXPECT_EQ(Ask("", "127.0.0.1", ephemeral->host_port()), "hello from two");
    EXPECT_EQ(Publish(*driver.core, "two", 8080, 80).status().message(),
              "Bind for 0.0.0.0:8080 failed: port is already allocated");
    rules_with_ports = Save();
    EXPECT_THAT(rules_with_ports,
                HasSubstr("-A BERTH ! -i berth0 -p tcp -m tcp --dport 8080 -j "
                          "DNAT --to-destination 172.17.0.2:80"));
  }
  {
    // berth-netd restarts: same rules byte for byte, ports bound again.
    Driver driver(Options());
    ASSERT_TRUE(driver.core->InitDriver().ok());
    EXPECT_EQ(Save(), rules_with_ports);
    Server server1(c1.path(), "0.0.0.0", 80, "one");
    EXPECT_EQ(Ask("", "127.0.0.1", 8080), "hello from one");
    EXPECT_EQ(Allocate(*driver.core, "one", c1.path())->ip(), "172.17.0.2");

    // Release: its veth, rules, port and address are gone.
    std::string veth = HostVethName("one");
    ASSERT_TRUE(driver.core->ReleaseInterface("one").ok());
    driver.reaper->AwaitGone(veth);
    EXPECT_TRUE(absl::IsNotFound(driver.netlink->GetLink(veth).status()));
    EXPECT_THAT(Output({"nsenter", "--net=" + c1.path(), "ip", "link"}),
                Not(HasSubstr("eth0")));
    std::string after = Save();
    EXPECT_THAT(after, Not(HasSubstr("172.17.0.2")));
    EXPECT_THAT(after, HasSubstr("172.17.0.3"));  // "two"'s port stays
    EXPECT_EQ(access(tmp_.Join("network/ipam/172.17.0.2").c_str(), F_OK), -1);
    EXPECT_EQ(access(tmp_.Join("network/endpoints/one.json").c_str(), F_OK),
              -1);
    EXPECT_EQ(Ask("", "127.0.0.1", 8080), "");
    ASSERT_TRUE(driver.core->ReleaseInterface("two").ok());
    EXPECT_EQ(Save(), rules_before_ports);
  }
}

TEST_F(NetworkCoreNetnsTest, IccOffIsolatesContainersExceptThroughLinks) {
  testing::ScratchNetns c1, c2;
  ASSERT_TRUE(c1.ok() && c2.ok());
  NetworkOptions options = Options();
  options.icc = false;
  options.bip = "10.77.0.1/24";
  Driver driver(options);
  ASSERT_TRUE(driver.core->InitDriver().ok());
  ASSERT_TRUE(Allocate(*driver.core, "web", c1.path()).ok());  // .2
  ASSERT_TRUE(Allocate(*driver.core, "db", c2.path()).ok());   // .3
  Server db(c2.path(), "0.0.0.0", 5432, "db");
  Server other(c2.path(), "0.0.0.0", 6379, "db's other port");
  EXPECT_EQ(Ask(c1.path(), "10.77.0.3", 5432), "");
  EXPECT_EQ(Ask("", "10.77.0.3", 5432), "hello from db");  // the host may

  v1::LinkRequest link;
  link.set_parent_ip("10.77.0.2");
  link.set_child_ip("10.77.0.3");
  link.add_ports("5432/tcp");
  ASSERT_TRUE(driver.core->Link(link).ok());
  EXPECT_EQ(Ask(c1.path(), "10.77.0.3", 5432), "hello from db");
  EXPECT_EQ(Ask(c1.path(), "10.77.0.3", 6379), "");
  link.set_action(v1::LinkRequest::REMOVE);
  ASSERT_TRUE(driver.core->Link(link).ok());
  EXPECT_EQ(Ask(c1.path(), "10.77.0.3", 5432), "");
}

// Not a benchmark (tests/bench has those): prints what an interface
// costs here, for a feel of the ~10 ms budget.
TEST_F(NetworkCoreNetnsTest, PrintsTheCostOfAnInterface) {
  Driver driver(Options());
  ASSERT_TRUE(driver.core->InitDriver().ok());
  constexpr int kRounds = 20;
  absl::Duration allocate, release;
  for (int i = 0; i < kRounds; ++i) {
    testing::ScratchNetns container;
    ASSERT_TRUE(container.ok());
    absl::Time start = absl::Now();
    ASSERT_TRUE(
        Allocate(*driver.core, "c" + std::to_string(i), container.path()).ok());
    absl::Time allocated = absl::Now();
    ASSERT_TRUE(driver.core->ReleaseInterface("c" + std::to_string(i)).ok());
    allocate += allocated - start;
    release += absl::Now() - allocated;
  }
  std::cout << "allocate_interface: " << allocate / kRounds
            << " on average, release_interface: " << release / kRounds << "\n";
}

TEST_F(NetworkCoreNetnsTest, IptablesOffTouchesNoRules) {
  const std::string before = Save();
  NetworkOptions options = Options();
  options.iptables = false;
  options.ip_forward = false;
  auto netlink = *LibnlNetlink::Open();
  NullFirewall firewall;
  UserlandProxy proxy;
  ProcSysctl sysctl;
  NetworkDeps deps;
  deps.netlink = netlink.get();
  deps.firewall = &firewall;
  deps.proxy = &proxy;
  deps.sysctl = &sysctl;
  deps.ephemeral_ports = *ReadEphemeralPortRange();
  NetworkCore core(options, deps);
  ASSERT_TRUE(core.InitDriver().ok());
  testing::ScratchNetns c1;
  ASSERT_TRUE(Allocate(core, "c1", c1.path()).ok());
  Server server(c1.path(), "0.0.0.0", 80, "c1");
  ASSERT_TRUE(Publish(core, "c1", 8080, 80).ok());
  // Still published through the proxy.
  EXPECT_EQ(Ask("", "127.0.0.1", 8080), "hello from c1");
  EXPECT_EQ(Save(), before);
  ASSERT_TRUE(core.ReleaseInterface("c1").ok());
}

}  // namespace
}  // namespace berth::netd
