#include "services/daemon/containers/exec_core.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "glog/logging.h"
#include "lib/base/files.h"
#include "lib/base/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/daemon/containers/container_names.h"
#include "services/daemon/containers/shim_client.h"
#include "services/daemon/containers/spec_builder.h"
#include "services/runtime/oci_config.h"

namespace berth {
namespace {

std::string ExecFile(const std::string& bundle, const std::string& exec_id,
                     absl::string_view suffix) {
  return absl::StrCat(bundle, "/exec/", exec_id, suffix);
}

// The OCI process object the shim (and `runc exec --process`) reads.
std::string ProcessJson(const runtime::Process& process) {
  runtime::Spec spec;
  spec.process = process;
  return nlohmann::json::parse(runtime::WriteOciConfig(spec, "/"))["process"]
      .dump();
}

absl::StatusOr<int> ReadNumberFile(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  int value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &value)) {
    return absl::DataLossError(absl::StrCat(path, ": not a number"));
  }
  return value;
}

}  // namespace

ExecCore::ExecCore(ContainerCore* containers) : containers_(containers) {
  containers_->AddRuntimeObserver(
      [this](const std::string& id, const std::string&, bool removed) {
        OnRuntimeEnd(id, removed);
      });
}

absl::StatusOr<std::shared_ptr<ExecCore::Exec>> ExecCore::Find(
    const std::string& exec_id) {
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) {
    return absl::NotFoundError(
        absl::StrCat("No such exec instance: ", exec_id));
  }
  return it->second;
}

absl::StatusOr<v1::ExecCreateReply> ExecCore::Create(
    const v1::ExecCreateRequest& request) {
  if (request.config().cmd().empty()) {
    return absl::InvalidArgumentError("No exec command specified");
  }
  BERTH_ASSIGN_OR_RETURN(
      RunningContainer container,
      containers_->GetRunning(request.id(), /*allow_paused=*/false));
  auto exec = std::make_shared<Exec>();
  exec->detail.set_id(RandomId());
  exec->detail.set_container_id(container.id);
  *exec->detail.mutable_config() = request.config();
  v1::ExecCreateReply reply;
  reply.set_id(exec->detail.id());
  absl::MutexLock lock(&mu_);
  execs_[reply.id()] = std::move(exec);
  return reply;
}

absl::StatusOr<v1::ExecStartReply> ExecCore::Start(
    const v1::ExecStartRequest& request) {
  std::shared_ptr<Exec> exec;
  {
    absl::MutexLock lock(&mu_);
    BERTH_ASSIGN_OR_RETURN(exec, Find(request.exec_id()));
    if (exec->started) {
      return absl::AbortedError(absl::StrCat(
          "Error: Exec command ", exec->detail.id(),
          exec->detail.exited() ? " has already run" : " is already running"));
    }
    exec->started = true;
  }
  const v1::ExecDetail& detail = exec->detail;
  const std::string& id = detail.id();
  auto fail = [&](absl::Status status) {
    absl::MutexLock lock(&mu_);
    exec->started = false;
    return status;
  };
  absl::StatusOr<RunningContainer> container =
      containers_->GetRunning(detail.container_id(), /*allow_paused=*/false);
  if (!container.ok()) return fail(container.status());
  absl::StatusOr<runtime::Process> process =
      BuildExecProcess(container->detail, detail.config(), container->rootfs);
  if (!process.ok()) return fail(process.status());
  absl::Status written = MakeDirs(container->bundle + "/exec", 0700);
  if (written.ok()) {
    written = WriteFileAtomic(ExecFile(container->bundle, id, ".json"),
                              ProcessJson(*process), 0600, false);
  }
  if (!written.ok()) return fail(written);
  {
    absl::MutexLock lock(&mu_);
    exec->bundle = container->bundle;
    exec->socket = container->socket;
    exec->detail.set_running(true);
  }
  v1::ExecStartReply reply;
  reply.set_tty(detail.config().tty());
  if (request.detach()) {
    absl::StatusOr<std::string> pid =
        ShimQuery(container->socket, absl::StrCat("exec ", id, " detach"));
    absl::MutexLock lock(&mu_);
    if (!pid.ok()) {
      Refresh(*exec);
      return pid.status();
    }
    int value = 0;
    if (absl::SimpleAtoi(*pid, &value)) exec->detail.set_pid(value);
    return reply;
  }
  const v1::ExecConfig& config = detail.config();
  reply.set_socket(container->socket);
  reply.set_request(absl::StrCat("exec ", id, " ",
                                 config.attach_stdin() ? 1 : 0, " ",
                                 config.attach_stdout() ? 1 : 0, " ",
                                 config.attach_stderr() ? 1 : 0, "\n"));
  VLOG(1) << "exec " << id.substr(0, 12) << " in container "
          << container->id.substr(0, 12);
  return reply;
}

void ExecCore::Refresh(Exec& exec) {
  if (!exec.detail.running() || exec.bundle.empty()) return;
  if (exec.detail.pid() == 0) {
    absl::StatusOr<int> pid =
        ReadNumberFile(ExecFile(exec.bundle, exec.detail.id(), ".pid"));
    if (pid.ok()) exec.detail.set_pid(*pid);
  }
  absl::StatusOr<int> code =
      ReadNumberFile(ExecFile(exec.bundle, exec.detail.id(), ".exit"));
  if (!code.ok()) return;
  exec.detail.set_running(false);
  exec.detail.set_exited(true);
  exec.detail.set_exit_code(*code);
}

absl::StatusOr<v1::ExecDetail> ExecCore::Inspect(const std::string& exec_id) {
  absl::MutexLock lock(&mu_);
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Exec> exec, Find(exec_id));
  Refresh(*exec);
  return exec->detail;
}

absl::Status ExecCore::Resize(const v1::ExecResizeRequest& request) {
  std::string socket;
  {
    absl::MutexLock lock(&mu_);
    BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Exec> exec, Find(request.exec_id()));
    Refresh(*exec);
    if (!exec->detail.running()) {
      return absl::AbortedError(
          absl::StrCat("Exec ", request.exec_id(), " is not running"));
    }
    if (!exec->detail.config().tty()) return absl::OkStatus();
    socket = exec->socket;
  }
  return ShimRequest(
      socket, absl::StrCat("resize ", request.height(), " ", request.width(),
                           " ", request.exec_id()));
}

void ExecCore::OnRuntimeEnd(const std::string& container_id, bool removed) {
  absl::MutexLock lock(&mu_);
  for (auto it = execs_.begin(); it != execs_.end();) {
    Exec& exec = *it->second;
    if (exec.detail.container_id() != container_id) {
      ++it;
      continue;
    }
    if (removed) {
      execs_.erase(it++);
      continue;
    }
    // The bundle goes next: read what the shim left while it is there.
    Refresh(exec);
    if (exec.detail.running()) {
      // Killed with its container before the shim could record it.
      exec.detail.set_running(false);
      exec.detail.set_exited(true);
      exec.detail.set_exit_code(137);
    }
    exec.bundle.clear();
    exec.socket.clear();
    ++it;
  }
}

}  // namespace berth
