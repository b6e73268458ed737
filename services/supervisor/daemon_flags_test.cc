#include "services/supervisor/daemon_flags.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

TEST(DaemonFlagsTest, DefaultsMakeAValidConfig) {
  DaemonFlags flags;
  absl::StatusOr<v1::DaemonConfig> config = BuildDaemonConfig(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_root(), "/var/lib/berth");
  EXPECT_EQ(config->pidfile(), "/run/berth/berthd.pid");
  ASSERT_EQ(config->hosts_size(), 1);
  EXPECT_EQ(config->hosts(0), "unix:///run/berth/docker.sock");
  EXPECT_TRUE(config->enable_iptables());
  EXPECT_TRUE(config->inter_container_communication());
  EXPECT_EQ(config->exec_driver(), "native");
  EXPECT_TRUE(config->graph_driver() == "overlay" ||
              config->graph_driver() == "vfs");
  EXPECT_FALSE(config->tls().enabled());
}

TEST(DaemonFlagsTest, HostsAreNormalized) {
  EXPECT_EQ(*NormalizeHost("unix:///tmp/x.sock", "/run/b"),
            "unix:///tmp/x.sock");
  EXPECT_EQ(*NormalizeHost("unix://", "/run/b"), "unix:///run/b/docker.sock");
  EXPECT_EQ(*NormalizeHost("tcp://127.0.0.1:2375", "/r"),
            "tcp://127.0.0.1:2375");
  EXPECT_EQ(*NormalizeHost("127.0.0.1:2375", "/r"), "tcp://127.0.0.1:2375");
  EXPECT_EQ(*NormalizeHost("tcp://:2376", "/r"), "tcp://0.0.0.0:2376");
  EXPECT_EQ(*NormalizeHost("tcp://[::1]:2375", "/r"), "tcp://[::1]:2375");
  EXPECT_EQ(*NormalizeHost("fd://", "/r"), "fd://");
  for (const char* bad : {"", "http://x:1", "tcp://host", "tcp://h:99999",
                          "unix://relative.sock", "tcp://h:1/path"}) {
    absl::StatusOr<std::string> host = NormalizeHost(bad, "/r");
    EXPECT_EQ(host.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(host.status().message().find("--host"), std::string::npos);
  }
}

struct BadFlag {
  std::function<void(DaemonFlags&)> set;
  std::string flag;
};

TEST(DaemonFlagsTest, InvalidValuesNameTheFlag) {
  std::vector<BadFlag> cases = {
      {[](DaemonFlags& f) { f.mtu = 20; }, "--mtu"},
      {[](DaemonFlags& f) { f.bip = "10.0.0.1"; }, "--bip"},
      {[](DaemonFlags& f) { f.fixed_cidr = "nonsense"; }, "--fixed-cidr"},
      {[](DaemonFlags& f) { f.ip = "1.2.3"; }, "--ip"},
      {[](DaemonFlags& f) { f.dns = {"8.8.8"}; }, "--dns"},
      {[](DaemonFlags& f) { f.storage_driver = "zfs"; }, "--storage-driver"},
      {[](DaemonFlags& f) { f.exec_driver = "lxc"; }, "--exec-driver"},
      {[](DaemonFlags& f) { f.data_root = "relative"; }, "--data-root"},
      {[](DaemonFlags& f) { f.hosts = {"ftp://x"}; }, "--host"},
      {[](DaemonFlags& f) { f.storage_opts = {"novalue"}; }, "--storage-opt"},
      {[](DaemonFlags& f) { f.registry_mirrors = {"mirror"}; },
       "--registry-mirror"},
      {[](DaemonFlags& f) {
         f.tls = true;
         f.tlscert = "/nonexistent/cert.pem";
       },
       "--tlscert"},
      {[](DaemonFlags& f) {
         f.bridge = "br0";
         f.bip = "10.1.0.1/16";
       },
       "--bip"},
  };
  for (const BadFlag& c : cases) {
    DaemonFlags flags;
    c.set(flags);
    absl::StatusOr<v1::DaemonConfig> config = BuildDaemonConfig(flags);
    ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument)
        << c.flag;
    EXPECT_NE(config.status().message().find("for flag " + c.flag),
              std::string::npos)
        << config.status();
  }
}

TEST(DaemonFlagsTest, ExplicitTlsFalseIsRecorded) {
  DaemonFlags flags;
  EXPECT_FALSE(BuildDaemonConfig(flags)->tls().explicitly_disabled());
  flags.explicitly_set.insert("tls");
  EXPECT_TRUE(BuildDaemonConfig(flags)->tls().explicitly_disabled());
}

TEST(DaemonFlagsTest, Overlay2IsOverlay) {
  DaemonFlags flags;
  flags.storage_driver = "overlay2";
  EXPECT_EQ(BuildDaemonConfig(flags)->graph_driver(), "overlay");
}

}  // namespace
}  // namespace berth
