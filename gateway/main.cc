// berth-gateway: the Docker Engine HTTP API on the -H hosts, serving the
// serveapi and acceptconnections jobs.
#include "gateway/gateway_service.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "lib/config/config.h"
#include "lib/service/service_main.h"

DEFINE_string(config, "", "the serialized DaemonConfig berthd wrote");

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  berth::BlockTerminationSignals();
  absl::StatusOr<berth::v1::DaemonConfig> config =
      berth::LoadConfig(FLAGS_config);
  if (!config.ok()) {
    LOG(ERROR) << "berth-gateway: " << config.status();
    return 1;
  }
  berth::gateway::GatewayCore core(*config);
  berth::gateway::GatewayServiceImpl service(&core);
  berth::ServiceOptions options;
  options.name = "gateway";
  options.handlers = core.Jobs();
  options.services = {&service};
  options.on_shutdown = [&core] { core.Stop(); };
  berth::ExitProcess(berth::RunService(*config, std::move(options)));
}
