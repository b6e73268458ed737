#ifndef BERTH_LIB_SERVICE_SERVICE_MAIN_H_
#define BERTH_LIB_SERVICE_SERVICE_MAIN_H_

#include <functional>
#include <string>
#include <vector>

#include "grpcpp/impl/codegen/service_type.h"
#include "lib/job/dispatcher.h"
#include "lib/job/handler_registry.h"
#include "proto/config.pb.h"

namespace berth {

struct ServiceOptions {
  // "gateway", "daemon", ...: names its socket and its registration.
  std::string name;
  std::vector<HandlerSpec> handlers;
  // Its typed services, served beside its JobService.
  std::vector<grpc::Service*> services;
  // Runs after the jobs have drained, before the server stops.
  std::function<void()> on_shutdown;
};

// The life of a service process that berthd starts: serve on
// <exec-root>/<name>.sock, keep the handlers registered with the engine,
// and on SIGTERM/SIGINT drain jobs and stop. Returns the exit code.
int RunService(const v1::DaemonConfig& config, ServiceOptions options);

// Blocks SIGTERM, SIGINT and SIGQUIT in the calling thread (call first in
// main, before any thread starts) and ignores SIGPIPE.
void BlockTerminationSignals();

// Waits for one of the blocked termination signals; returns its number.
int WaitForTerminationSignal();

// Ends the process once its own cleanup is done, skipping static
// destructors: gRPC's global teardown can wait seconds on its threads,
// which would eat into berthd's 15 s shutdown budget for nothing.
[[noreturn]] void ExitProcess(int code);

}  // namespace berth

#endif  // BERTH_LIB_SERVICE_SERVICE_MAIN_H_
