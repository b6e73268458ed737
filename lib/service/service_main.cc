#include "lib/service/service_main.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>

#include "glog/logging.h"
#include "lib/config/config.h"
#include "lib/job/engine_registration.h"
#include "lib/job/job_service.h"
#include "lib/rpc/channels.h"
#include "lib/rpc/unix_server.h"

namespace berth {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGQUIT);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int signo = 0;
  while (sigwait(&set, &signo) != 0) {
  }
  return signo;
}

void ExitProcess(int code) {
  google::FlushLogFiles(google::GLOG_INFO);
  fflush(stdout);
  fflush(stderr);
  _exit(code);
}

int RunService(const v1::DaemonConfig& config, ServiceOptions options) {
  // Uploads and downloads pass through as megabyte messages. glibc would
  // hand each freed one back to the kernel (madvise on thread arenas) and
  // fault the pages in again for the next: on a VM that doubles the cost
  // of moving a byte. Keep up to this much free heap instead.
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  HandlerRegistry registry;
  v1::RegisterRequest request;
  request.set_service(options.name);
  std::string socket = ServiceSocket(config, options.name);
  request.set_address(UnixTarget(socket));
  for (const HandlerSpec& spec : options.handlers) {
    v1::HandlerDecl* decl = request.add_handlers();
    decl->set_name(spec.name);
    for (const std::string& dep : spec.depends_on) decl->add_depends_on(dep);
  }
  absl::StatusOr<uint64_t> registered =
      registry.RegisterService(options.name, std::move(options.handlers));
  if (!registered.ok()) {
    LOG(ERROR) << options.name << ": " << registered.status();
    return 1;
  }
  Dispatcher dispatcher(&registry);
  JobServiceImpl job_service(&dispatcher);
  std::vector<grpc::Service*> services = options.services;
  services.push_back(&job_service);
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartUnixServer(socket, services);
  if (!server.ok()) {
    LOG(ERROR) << options.name << ": " << server.status();
    return 1;
  }
  EngineRegistration registration(UnixTarget(ServiceSocket(config, "engine")),
                                  request);
  registration.Start();
  LOG(INFO) << options.name << " serving on " << socket;

  int signo = WaitForTerminationSignal();
  LOG(INFO) << options.name << ": signal " << signo << ", shutting down";
  registration.Stop();
  dispatcher.Shutdown();
  if (options.on_shutdown) options.on_shutdown();
  // Jobs have drained; what is still open are streams (registrations,
  // event listeners) that only need cutting.
  (*server)->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(200));
  unlink(socket.c_str());
  return 0;
}

}  // namespace berth
