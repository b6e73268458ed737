// berth-daemon: the daemon's image half (graph driver, layer and image
// stores), its volumes (the local volume driver) and its container half
// (container store, exec driver through per-container shims, logs).
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/config/config.h"
#include "lib/rpc/channels.h"
#include "lib/service/service_main.h"
#include "proto/network.grpc.pb.h"
#include "services/daemon/containers/container_service.h"
#include "services/daemon/graphdriver/driver_factory.h"
#include "services/daemon/images/image_service.h"
#include "services/daemon/volumes/volume_service.h"

DEFINE_string(config, "", "the serialized DaemonConfig berthd wrote");

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  berth::BlockTerminationSignals();
  absl::StatusOr<berth::v1::DaemonConfig> config =
      berth::LoadConfig(FLAGS_config);
  if (!config.ok()) {
    LOG(ERROR) << "berth-daemon: " << config.status();
    return 1;
  }
  absl::StatusOr<std::unique_ptr<berth::GraphDriver>> driver =
      berth::NewGraphDriver(
          config->graph_driver(), config->data_root() + "/graph",
          {config->graph_options().begin(), config->graph_options().end()});
  if (!driver.ok()) {
    LOG(ERROR) << "berth-daemon: error initializing graphdriver: "
               << driver.status().message();
    return 1;
  }
  berth::ImageCore images(config->data_root() + "/image", driver->get());
  absl::Status restored = images.Restore();
  if (!restored.ok()) {
    LOG(ERROR) << "berth-daemon: " << restored;
    return 1;
  }
  // Before the containers: a restored container takes its volumes again.
  berth::VolumeStore volumes(config->data_root() + "/volumes");
  restored = volumes.Restore();
  if (!restored.ok()) {
    LOG(ERROR) << "berth-daemon: " << restored;
    return 1;
  }
  berth::ContainerCoreOptions container_options;
  container_options.root = config->data_root() + "/containers";
  container_options.run_root = config->exec_root() + "/containers";
  container_options.shim_binary = berth::SelfDir() + "/berth-shim";
  container_options.dns.assign(config->dns().begin(), config->dns().end());
  container_options.dns_search.assign(config->dns_search().begin(),
                                      config->dns_search().end());
  if (!config->exec_driver().empty()) {
    container_options.exec_driver = config->exec_driver();
  }
  // berth-netd started before berth-daemon; the channel reconnects when
  // it restarts.
  std::unique_ptr<berth::v1::NetworkService::Stub> netd =
      berth::v1::NetworkService::NewStub(berth::MakeChannel(
          berth::UnixTarget(berth::ServiceSocket(*config, "netd"))));
  berth::ContainerNetwork network(netd.get());
  berth::ContainerCore containers(container_options, driver->get(), &images,
                                  &volumes, &network);
  restored = containers.Restore();
  if (!restored.ok()) {
    LOG(ERROR) << "berth-daemon: " << restored;
    return 1;
  }
  berth::ImageServiceImpl image_service(&images);
  berth::VolumeServiceImpl volume_service(&volumes);
  berth::ExecCore execs(&containers);
  berth::ContainerFs container_fs(&containers, driver->get());
  berth::ContainerServiceImpl container_service(&containers, &execs,
                                                &container_fs, &images);
  berth::ServiceOptions options;
  options.name = "daemon";
  options.handlers = berth::ImageJobs(&images);
  for (berth::HandlerSpec& spec :
       berth::ContainerJobs(&containers, &execs, &container_fs, &images)) {
    options.handlers.push_back(std::move(spec));
  }
  for (berth::HandlerSpec& spec : berth::VolumeJobs(&volumes)) {
    options.handlers.push_back(std::move(spec));
  }
  options.services = {&image_service, &container_service, &volume_service};
  options.on_shutdown = [&containers] { containers.Shutdown(); };
  berth::ExitProcess(berth::RunService(*config, std::move(options)));
}
