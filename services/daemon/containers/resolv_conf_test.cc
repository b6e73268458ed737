#include "services/daemon/containers/resolv_conf.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

constexpr char kHost[] =
    "# generated\n"
    "nameserver 127.0.0.53\n"
    "nameserver 10.0.0.2\n"
    "nameserver ::1\n"
    "search corp.example\n"
    "options edns0 trust-ad\n"
    "sortlist 10.0.0.0/255.0.0.0\n";

TEST(ResolvConfTest, DropsLoopbackNameserversAndKeepsTheRest) {
  EXPECT_EQ(ContainerResolvConf(kHost, {}),
            "sortlist 10.0.0.0/255.0.0.0\n"
            "nameserver 10.0.0.2\n"
            "search corp.example\n"
            "options edns0 trust-ad\n");
}

TEST(ResolvConfTest, FallsBackToPublicResolversWhenOnlyLoopbackIsLeft) {
  EXPECT_EQ(ContainerResolvConf("nameserver 127.0.0.53\n", {}),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

TEST(ResolvConfTest, EachFlagReplacesItsOwnPart) {
  DnsSettings dns;
  dns.nameservers = {"1.1.1.1", "9.9.9.9"};
  EXPECT_EQ(ContainerResolvConf(kHost, dns),
            "sortlist 10.0.0.0/255.0.0.0\n"
            "nameserver 1.1.1.1\nnameserver 9.9.9.9\n"
            "search corp.example\n"
            "options edns0 trust-ad\n");
  dns = {};
  dns.search = {"a.test", "b.test"};
  dns.options = {"ndots:2", "timeout:1"};
  EXPECT_EQ(ContainerResolvConf(kHost, dns),
            "sortlist 10.0.0.0/255.0.0.0\n"
            "nameserver 10.0.0.2\n"
            "search a.test b.test\n"
            "options ndots:2 timeout:1\n");
  dns = {};
  dns.search = {"."};
  EXPECT_EQ(ContainerResolvConf("nameserver 10.0.0.2\nsearch x\n", dns),
            "nameserver 10.0.0.2\n");
}

}  // namespace
}  // namespace berth
