// berth-engine: the handler registry, JobService, the built-in jobs and
// the shutdown protocol, on <exec-root>/engine.sock.
#include <chrono>

#include "gflags/gflags.h"
#include "glog/logging.h"
#include "lib/config/config.h"
#include "lib/job/job_service.h"
#include "lib/rpc/unix_server.h"
#include "lib/service/service_main.h"
#include "services/engine/builtin_jobs.h"
#include "services/engine/engine_service.h"
#include "services/engine/system_info.h"

DEFINE_string(config, "", "the serialized DaemonConfig berthd wrote");

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  berth::BlockTerminationSignals();

  absl::StatusOr<berth::v1::DaemonConfig> config =
      berth::LoadConfig(FLAGS_config);
  if (!config.ok()) {
    LOG(ERROR) << "berth-engine: " << config.status();
    return 1;
  }
  absl::StatusOr<std::string> engine_id =
      berth::LoadOrCreateEngineId(config->data_root());
  if (!engine_id.ok()) {
    LOG(ERROR) << "berth-engine: " << engine_id.status();
    return 1;
  }
  // 12 s for the whole protocol, so berthd can stop every service within
  // its 15 s budget.
  berth::EngineCore core(*config, *engine_id,
                         {absl::Seconds(5), absl::Seconds(7)});
  absl::Status builtins = berth::RegisterBuiltinJobs(&core);
  if (!builtins.ok()) {
    LOG(ERROR) << "berth-engine: " << builtins;
    return 1;
  }
  berth::EngineServiceImpl engine_service(&core);
  berth::RegistryServiceImpl registry_service(&core);
  berth::JobServiceImpl job_service(&core.dispatcher());
  std::string socket = berth::ServiceSocket(*config, berth::kEngineService);
  absl::StatusOr<std::unique_ptr<grpc::Server>> server = berth::StartUnixServer(
      socket, {&engine_service, &registry_service, &job_service});
  if (!server.ok()) {
    LOG(ERROR) << "berth-engine: " << server.status();
    return 1;
  }
  LOG(INFO) << "engine serving on " << socket;

  int signo = berth::WaitForTerminationSignal();
  LOG(INFO) << "engine: signal " << signo << ", shutting down";
  core.Shutdown();
  // Jobs have drained; what is still open are streams (registrations,
  // event listeners) that only need cutting.
  (*server)->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(200));
  unlink(socket.c_str());
  LOG(INFO) << "engine stopped";
  berth::ExitProcess(0);
}
