// berth-netd: the network driver (the seed's bridge driver). Started by
// berthd as a builtin; it sets up the bridge, the firewall and the IPAM
// before it registers init_networkdriver, allocate_interface,
// release_interface, allocate_port and link with the engine, and serves
// NetworkService beside them on <exec-root>/netd.sock.
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "lib/config/config.h"
#include "lib/service/service_main.h"
#include "services/netd/firewall/iptables_firewall.h"
#include "services/netd/firewall/iptables_runner.h"
#include "services/netd/netlink/libnl_netlink.h"
#include "services/netd/network_manager.h"
#include "services/netd/network_service.h"
#include "services/netd/ports/port_allocator.h"
#include "services/netd/ports/userland_proxy.h"
#include "services/netd/sysctl.h"

DEFINE_string(config, "", "the serialized DaemonConfig berthd wrote");

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  // Before any thread exists (the proxy's).
  berth::BlockTerminationSignals();
  absl::StatusOr<berth::v1::DaemonConfig> config =
      berth::LoadConfig(FLAGS_config);
  if (!config.ok()) {
    LOG(ERROR) << "berth-netd: " << config.status();
    return 1;
  }
  namespace netd = berth::netd;
  netd::NetworkOptions options = netd::NetworkOptionsFromConfig(*config);
  absl::StatusOr<std::unique_ptr<netd::LibnlNetlink>> netlink =
      netd::LibnlNetlink::Open();
  if (!netlink.ok()) {
    LOG(ERROR) << "berth-netd: " << netlink.status();
    return 1;
  }
  // The reaper's own connection: a libnl socket serves one thread.
  absl::StatusOr<std::unique_ptr<netd::LibnlNetlink>> reaper_netlink =
      netd::LibnlNetlink::Open();
  if (!reaper_netlink.ok()) {
    LOG(ERROR) << "berth-netd: " << reaper_netlink.status();
    return 1;
  }
  netd::LinkReaper reaper(reaper_netlink->get());
  absl::StatusOr<netd::PortRange> ephemeral = netd::ReadEphemeralPortRange();
  if (!ephemeral.ok()) {
    LOG(ERROR) << "berth-netd: " << ephemeral.status();
    return 1;
  }
  netd::CommandIptablesRunner runner;
  netd::IptablesFirewall iptables(&runner);
  netd::NullFirewall no_firewall;
  netd::UserlandProxy proxy;
  netd::ProcSysctl sysctl;
  netd::PortAllocator ports(*ephemeral);
  netd::NetworkManagerDeps deps;
  deps.netlink = netlink->get();
  deps.firewall = options.iptables ? static_cast<netd::Firewall*>(&iptables)
                                   : static_cast<netd::Firewall*>(&no_firewall);
  deps.make_firewall =
      [&runner,
       &options](const std::string& suffix) -> std::unique_ptr<netd::Firewall> {
    if (!options.iptables) return std::make_unique<netd::NullFirewall>();
    return std::make_unique<netd::IptablesFirewall>(
        &runner, netd::IptablesChains::WithSuffix(suffix));
  };
  deps.proxy = &proxy;
  deps.sysctl = &sysctl;
  deps.reaper = &reaper;
  deps.ports = &ports;
  netd::NetworkManager core(options, deps);
  absl::StatusOr<berth::v1::InitDriverReply> init = core.InitDriver();
  if (!init.ok()) {
    LOG(ERROR) << "berth-netd: error initializing the network driver: "
               << init.status().message();
    return 1;
  }
  if (init->disabled()) {
    LOG(INFO) << "berth-netd: networking disabled (--bridge=none)";
  } else {
    LOG(INFO) << "berth-netd: bridge " << init->bridge() << " "
              << init->bridge_address() << ", addresses from "
              << init->allocation_range() << ", mtu " << init->mtu()
              << (init->iptables() ? "" : ", iptables off");
  }
  netd::NetworkServiceImpl service(&core);
  berth::ServiceOptions service_options;
  service_options.name = "netd";
  service_options.handlers = netd::NetworkJobs(&core);
  service_options.services = {&service};
  berth::ExitProcess(berth::RunService(*config, std::move(service_options)));
}
