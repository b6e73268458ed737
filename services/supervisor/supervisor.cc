#include "services/supervisor/supervisor.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "grpcpp/client_context.h"
#include "lib/config/config.h"
#include "lib/job/job_client.h"
#include "lib/rpc/channels.h"
#include "proto/job.grpc.pb.h"
#include "services/supervisor/process.h"

namespace berth {
namespace {

absl::Duration Backoff(int recent_exits) {
  absl::Duration delay = absl::Milliseconds(100);
  for (int i = 1; i < recent_exits && delay < absl::Seconds(5); ++i) delay *= 2;
  return std::min(delay, absl::Seconds(5));
}

}  // namespace

Supervisor::Supervisor(SupervisorOptions options,
                       std::vector<ServiceSpec> services)
    : options_(std::move(options)), specs_(std::move(services)) {
  absl::MutexLock lock(&mu_);
  for (const ServiceSpec& spec : specs_) children_[spec.name].spec = &spec;
}

absl::StatusOr<std::vector<std::string>> Supervisor::BootOrder() const {
  // Kahn's algorithm, stage by stage; among services that are ready at the
  // same time the table order decides, so the order is stable.
  std::vector<std::string> order;
  absl::flat_hash_map<std::string, const ServiceSpec*> by_name;
  for (const ServiceSpec& spec : specs_) by_name[spec.name] = &spec;
  for (const ServiceSpec& spec : specs_) {
    for (const std::string& dep : spec.after) {
      auto it = by_name.find(dep);
      if (it == by_name.end()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "service ", spec.name, " starts after unknown service ", dep));
      }
      if (it->second->stage > spec.stage) {
        return absl::FailedPreconditionError(
            absl::StrCat("service ", spec.name, " starts after ", dep,
                         ", which boots in a later stage"));
      }
    }
  }
  absl::flat_hash_map<std::string, bool> placed;
  while (order.size() < specs_.size()) {
    const ServiceSpec* next = nullptr;
    for (const ServiceSpec& spec : specs_) {
      if (placed[spec.name]) continue;
      bool ready =
          std::all_of(spec.after.begin(), spec.after.end(),
                      [&](const std::string& dep) { return placed[dep]; });
      if (ready && (next == nullptr || spec.stage < next->stage)) next = &spec;
    }
    if (next == nullptr) {
      return absl::FailedPreconditionError(
          "the services' start-after declarations form a cycle");
    }
    placed[next->name] = true;
    order.push_back(next->name);
  }
  return order;
}

absl::Status Supervisor::StartLocked(Child& child) {
  SpawnOptions spawn;
  spawn.binary = absl::StrCat(options_.binary_dir, "/", child.spec->binary);
  spawn.args = {absl::StrCat("--config=", ConfigPath(options_.config))};
  spawn.args.insert(spawn.args.end(), options_.service_args.begin(),
                    options_.service_args.end());
  if (child.spec->takes_listen_fds) {
    spawn.listen_fds = options_.listen_fds;
    spawn.listen_fd_names = options_.listen_fd_names;
  }
  absl::StatusOr<pid_t> pid = spawner_.Spawn(spawn);
  if (!pid.ok()) {
    return absl::Status(
        pid.status().code(),
        absl::StrCat("start ", spawn.binary, ": ", pid.status().message()));
  }
  child.pid = *pid;
  if (!child.started_once) {
    child.started_once = true;
    start_order_.push_back(child.spec->name);
  }
  LOG(INFO) << "started " << child.spec->binary << " (pid " << *pid << ")";
  return absl::OkStatus();
}

bool Supervisor::Alive(const std::string& name, pid_t pid) {
  absl::MutexLock lock(&mu_);
  return children_[name].pid == pid;
}

absl::Status Supervisor::WaitReady(const ServiceSpec& spec, pid_t pid) {
  absl::Time deadline = absl::Now() + options_.start_timeout;
  std::string target = UnixTarget(ServiceSocket(options_.config, spec.name));
  auto gone = [&] {
    return absl::UnavailableError(
        absl::StrCat(spec.binary, " exited while starting; see its log above"));
  };
  while (true) {
    if (!Alive(spec.name, pid)) return gone();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(spec.binary, " did not become healthy within ",
                       absl::FormatDuration(options_.start_timeout)));
    }
    if (WaitHealthy(target, absl::Milliseconds(250)).ok()) break;
  }
  if (spec.ready_job.empty()) return absl::OkStatus();
  auto registry = v1::Registry::NewStub(
      MakeChannel(UnixTarget(ServiceSocket(options_.config, "engine"))));
  while (true) {
    if (!Alive(spec.name, pid)) return gone();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          spec.binary, " did not register its jobs with the engine within ",
          absl::FormatDuration(options_.start_timeout)));
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    v1::ResolveRequest request;
    request.set_name(spec.ready_job);
    v1::ResolveReply reply;
    if (registry->Resolve(&context, request, &reply).ok() &&
        reply.service() == spec.name) {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::Status Supervisor::StartStage(BootStage stage) {
  absl::StatusOr<std::vector<std::string>> order = BootOrder();
  if (!order.ok()) return order.status();
  for (const std::string& name : *order) {
    const ServiceSpec* spec;
    pid_t pid;
    {
      absl::MutexLock lock(&mu_);
      Child& child = children_[name];
      spec = child.spec;
      if (spec->stage != stage) continue;
      if (stopping_) return absl::CancelledError("berthd is shutting down");
      absl::Status started = StartLocked(child);
      if (!started.ok()) return started;
      pid = child.pid;
    }
    absl::Status ready = WaitReady(*spec, pid);
    if (!ready.ok()) return ready;
  }
  return absl::OkStatus();
}

absl::Status Supervisor::RunBootJob(const std::string& service,
                                    const v1::JobSpec& spec) {
  StringInput no_input;
  StringOutput out, err;
  absl::Status status = RunRemoteJob(
      MakeChannel(UnixTarget(ServiceSocket(options_.config, "engine"))), spec,
      &no_input, &out, &err);
  if (!out.data().empty()) LOG(INFO) << spec.name() << ": " << out.data();
  if (!err.data().empty()) LOG(WARNING) << spec.name() << ": " << err.data();
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat(spec.name(), ": ", status.message()));
  }
  absl::MutexLock lock(&mu_);
  std::vector<v1::JobSpec>& jobs = children_[service].boot_jobs;
  if (std::none_of(jobs.begin(), jobs.end(), [&](const v1::JobSpec& j) {
        return j.name() == spec.name();
      })) {
    jobs.push_back(spec);
  }
  return absl::OkStatus();
}

absl::Status Supervisor::ReapChildren() {
  absl::Status fatal;
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    absl::MutexLock lock(&mu_);
    for (auto& [name, child] : children_) {
      if (child.pid != pid) continue;
      child.pid = 0;
      if (stopping_) {
        LOG(INFO) << child.spec->binary << " (pid " << pid
                  << ") stopped: " << DescribeWaitStatus(status);
        break;
      }
      absl::Time now = absl::Now();
      child.exits.push_back(now);
      while (!child.exits.empty() &&
             child.exits.front() < now - options_.restart_window) {
        child.exits.pop_front();
      }
      if (static_cast<int>(child.exits.size()) > options_.max_restarts) {
        fatal = absl::UnavailableError(absl::StrCat(
            child.spec->binary, " keeps dying (", child.exits.size(),
            " exits within ", absl::FormatDuration(options_.restart_window),
            ", last: ", DescribeWaitStatus(status), ")"));
        LOG(ERROR) << fatal.message();
        break;
      }
      absl::Duration delay = Backoff(child.exits.size());
      child.restart_at = now + delay;
      LOG(WARNING) << child.spec->binary << " (pid " << pid
                   << ") died: " << DescribeWaitStatus(status)
                   << "; restarting in " << absl::FormatDuration(delay);
      break;
    }
  }
  return fatal;
}

absl::Time Supervisor::RunDueRestarts() {
  absl::MutexLock lock(&mu_);
  absl::Time next = absl::InfiniteFuture();
  absl::Time now = absl::Now();
  for (auto& [name, child] : children_) {
    if (stopping_ || child.restart_at > now) {
      next = std::min(next, child.restart_at);
      continue;
    }
    child.restart_at = absl::InfiniteFuture();
    absl::Status started = StartLocked(child);
    if (!started.ok()) {
      LOG(ERROR) << started;
      child.restart_at = now + absl::Seconds(1);
      next = std::min(next, child.restart_at);
      continue;
    }
    std::thread([this, name = name, pid = child.pid] {
      AfterRestart(name, pid);
    }).detach();
  }
  return next;
}

void Supervisor::AfterRestart(const std::string& name, pid_t pid) {
  const ServiceSpec* spec;
  std::vector<v1::JobSpec> jobs;
  {
    absl::MutexLock lock(&mu_);
    spec = children_[name].spec;
    jobs = children_[name].boot_jobs;
  }
  absl::Status ready = WaitReady(*spec, pid);
  if (!ready.ok()) {
    LOG(ERROR) << "restart of " << spec->binary << ": " << ready;
    return;
  }
  for (const v1::JobSpec& job : jobs) {
    absl::Status status = RunBootJob(name, job);
    if (!status.ok()) {
      LOG(ERROR) << "restart of " << spec->binary << ": " << status;
      return;
    }
  }
  LOG(INFO) << spec->binary << " is back (pid " << pid << ")";
}

void Supervisor::StopAll(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (auto it = start_order_.rbegin(); it != start_order_.rend(); ++it) {
    Child& child = children_[*it];
    if (child.pid <= 0) continue;
    LOG(INFO) << "stopping " << child.spec->binary << " (pid " << child.pid
              << ")";
    kill(child.pid, SIGTERM);
    auto exited = [&child]() { return child.pid == 0; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&exited), deadline)) {
      LOG(WARNING) << child.spec->binary << " did not stop in time; killing it";
      kill(child.pid, SIGKILL);
      mu_.AwaitWithTimeout(absl::Condition(&exited), absl::Seconds(2));
    }
  }
}

void Supervisor::KillAll() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (auto& [name, child] : children_) {
    if (child.pid > 0) kill(child.pid, SIGKILL);
  }
}

}  // namespace berth
