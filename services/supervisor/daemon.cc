#include "services/supervisor/daemon.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "grpcpp/client_context.h"
#include "lib/base/files.h"
#include "lib/base/pidfile.h"
#include "lib/base/sd_notify.h"
#include "lib/base/status_macros.h"
#include "lib/config/config.h"
#include "lib/rpc/channels.h"
#include "lib/version/version.h"
#include "proto/engine.grpc.pb.h"

namespace berth {
namespace {

// The whole shutdown fits in 15 s: the engine's protocol is capped by its
// own dispatcher config; what is left stops the services.
constexpr absl::Duration kShutdownBudget = absl::Seconds(15);

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signo : {SIGINT, SIGTERM, SIGQUIT, SIGCHLD}) sigaddset(&set, signo);
  return set;
}

}  // namespace

std::vector<ServiceSpec> BerthServices() {
  return {
      {"engine", "berth-engine", BootStage::kEngine, {}, ""},
      {"gateway",
       "berth-gateway",
       BootStage::kBuiltins,
       {"engine"},
       "serveapi",
       /*takes_listen_fds=*/true},
      // The network driver: it sets up the bridge before it registers, so
      // the daemon part starts with networking ready.
      {"netd",
       "berth-netd",
       BootStage::kBuiltins,
       {"engine"},
       "init_networkdriver"},
      {"daemon", "berth-daemon", BootStage::kDaemon, {"engine"}, "images"},
  };
}

Daemon::Daemon(v1::DaemonConfig config, SupervisorOptions supervisor_options)
    : config_(config),
      supervisor_(std::move(supervisor_options), BerthServices()) {}

void Daemon::BlockSignals() {
  sigset_t set = HandledSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int Daemon::Run() {
  absl::Status dirs = MakeDirs(config_.data_root(), 0711);
  if (dirs.ok()) dirs = MakeDirs(config_.exec_root(), 0700);
  if (!dirs.ok()) {
    LOG(ERROR) << dirs;
    return 1;
  }
  absl::StatusOr<Pidfile> pidfile = Pidfile::Create(config_.pidfile());
  if (!pidfile.ok()) {
    LOG(ERROR) << pidfile.status().message();
    return 1;
  }
  absl::Status written = WriteConfig(config_);
  if (!written.ok()) {
    LOG(ERROR) << written;
    return 1;
  }

  std::thread signals([this] { SignalLoop(); });
  signals.detach();

  absl::Status booted = Boot();
  if (!booted.ok()) {
    LOG(ERROR) << "berthd: " << booted.message();
    RequestShutdown(1);
  }
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&finished_));
  unlink(ConfigPath(config_).c_str());
  LOG(INFO) << "berthd exits with status " << exit_code_;
  return exit_code_;
}

absl::Status Daemon::Boot() {
  // engine.New(): the engine first; it serves `commands` at once.
  BERTH_RETURN_IF_ERROR(supervisor_.StartStage(BootStage::kEngine));
  // builtins.Register.
  BERTH_RETURN_IF_ERROR(supervisor_.StartStage(BootStage::kBuiltins));
  // go daemon.MainDaemon(): the daemon part in the background.
  absl::Status daemon_status;
  std::thread daemon_part([this, &daemon_status] {
    daemon_status = supervisor_.StartStage(BootStage::kDaemon);
  });
  LOG(INFO) << "berth daemon: " << kVersion << " " << kGitCommit
            << "; execdriver: " << config_.exec_driver()
            << "; graphdriver: " << config_.graph_driver();
  v1::JobSpec serveapi;
  serveapi.set_name("serveapi");
  for (const std::string& host : config_.hosts()) serveapi.add_args(host);
  absl::Status served = supervisor_.RunBootJob("gateway", serveapi);
  daemon_part.join();
  BERTH_RETURN_IF_ERROR(served);
  BERTH_RETURN_IF_ERROR(daemon_status);
  v1::JobSpec accept;
  accept.set_name("acceptconnections");
  BERTH_RETURN_IF_ERROR(supervisor_.RunBootJob("gateway", accept));
  // Sent by berthd, the main process, so NotifyAccess=main works.
  absl::StatusOr<bool> notified = SdNotify("READY=1");
  if (!notified.ok()) LOG(WARNING) << notified.status();
  LOG(INFO) << "berthd is ready: API listening on "
            << absl::StrJoin(config_.hosts(), ", ");
  return absl::OkStatus();
}

void Daemon::SignalLoop() {
  sigset_t set = HandledSignals();
  int fd = signalfd(-1, &set, SFD_CLOEXEC);
  CHECK_GE(fd, 0) << "signalfd";
  int interrupts = 0;
  absl::Time next_restart = absl::InfiniteFuture();
  while (true) {
    int timeout_ms = -1;
    if (next_restart != absl::InfiniteFuture()) {
      timeout_ms = std::max<int64_t>(
          0, absl::ToInt64Milliseconds(next_restart - absl::Now()) + 1);
    }
    pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) > 0) {
      signalfd_siginfo info;
      if (read(fd, &info, sizeof(info)) != sizeof(info)) continue;
      int signo = info.ssi_signo;
      if (signo == SIGCHLD) {
        absl::Status reaped = supervisor_.ReapChildren();
        if (!reaped.ok()) RequestShutdown(1);
      } else if (signo == SIGQUIT && config_.debug()) {
        LOG(INFO) << "SIGQUIT ignored in debug mode";
      } else {
        ++interrupts;
        if (interrupts >= 3 && signo == SIGINT) {
          LOG(WARNING) << "third interrupt: forcing shutdown";
          supervisor_.KillAll();
          unlink(config_.pidfile().c_str());
          _exit(128 + signo);
        }
        LOG(INFO) << "received " << strsignal(signo) << ", shutting down";
        RequestShutdown(0);
      }
    }
    next_restart = supervisor_.RunDueRestarts();
  }
}

void Daemon::RequestShutdown(int exit_code) {
  absl::MutexLock lock(&mu_);
  if (shutdown_started_) return;
  shutdown_started_ = true;
  exit_code_ = exit_code;
  std::thread([this] { Shutdown(); }).detach();
}

void Daemon::Shutdown() {
  absl::Time deadline = absl::Now() + kShutdownBudget;
  absl::StatusOr<bool> notified = SdNotify("STOPPING=1");
  if (!notified.ok()) LOG(WARNING) << notified.status();
  auto engine = v1::Engine::NewStub(
      MakeChannel(UnixTarget(ServiceSocket(config_, "engine"))));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline - absl::Milliseconds(2500)));
  v1::ShutdownRequest request;
  v1::ShutdownReply reply;
  grpc::Status status = engine->Shutdown(&context, request, &reply);
  if (!status.ok()) {
    LOG(WARNING) << "engine shutdown: " << status.error_message();
  }
  supervisor_.StopAll(deadline);
  for (const ServiceSpec& spec : BerthServices()) {
    unlink(ServiceSocket(config_, spec.name).c_str());
  }
  absl::MutexLock lock(&mu_);
  finished_ = true;
}

}  // namespace berth
