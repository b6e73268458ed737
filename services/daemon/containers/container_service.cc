#include "services/daemon/containers/container_service.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/docker/container_json.h"
#include "lib/docker/filters.h"
#include "lib/docker/stats_json.h"
#include "lib/job/job_output.h"
#include "lib/rpc/status.h"
#include "services/daemon/archive/path_stat.h"
#include "services/daemon/containers/container_commit.h"
#include "services/daemon/containers/container_stats.h"
#include "services/daemon/containers/container_top.h"
#include "services/daemon/streams/grpc_bytes.h"

namespace berth {
namespace {

v1::PathStat PathStatProto(const PathStat& stat) {
  v1::PathStat out;
  out.set_name(stat.name);
  out.set_size(stat.size);
  out.set_mode(stat.mode);
  out.set_mtime_unix_nanos(stat.mtime_unix_nanos);
  out.set_link_target(stat.link_target);
  out.set_header(PathStatHeaderValue(stat));
  return out;
}

v1::ChangesReply ChangesProto(const std::vector<Change>& changes) {
  v1::ChangesReply reply;
  for (const Change& change : changes) {
    v1::FileChange* out = reply.add_changes();
    out->set_path(change.path);
    out->set_kind(static_cast<int32_t>(change.kind));
  }
  return reply;
}

}  // namespace

grpc::Status ContainerServiceImpl::Create(
    grpc::ServerContext*, const v1::CreateContainerRequest* request,
    v1::CreateContainerReply* reply) {
  return AnswerWith(core_->Create(*request), reply);
}

grpc::Status ContainerServiceImpl::Start(grpc::ServerContext*,
                                         const v1::ContainerRef* request,
                                         v1::StartContainerReply* reply) {
  return AnswerWith(core_->Start(request->id()), reply);
}

grpc::Status ContainerServiceImpl::Stop(grpc::ServerContext*,
                                        const v1::StopContainerRequest* request,
                                        v1::StopContainerReply* reply) {
  return AnswerWith(core_->Stop(*request), reply);
}

grpc::Status ContainerServiceImpl::Restart(
    grpc::ServerContext*, const v1::StopContainerRequest* request, v1::Empty*) {
  return ToGrpcStatus(core_->Restart(*request));
}

grpc::Status ContainerServiceImpl::Kill(grpc::ServerContext*,
                                        const v1::KillContainerRequest* request,
                                        v1::Empty*) {
  return ToGrpcStatus(core_->Kill(*request));
}

grpc::Status ContainerServiceImpl::Wait(
    grpc::ServerContext* context, const v1::WaitContainerRequest* request,
    grpc::ServerWriter<v1::WaitContainerReply>* writer) {
  absl::StatusOr<v1::WaitContainerReply> reply = core_->Wait(
      *request,
      [writer] {
        v1::WaitContainerReply waiting;
        waiting.set_waiting(true);
        writer->Write(waiting);
      },
      [context] { return context->IsCancelled(); });
  if (!reply.ok()) return ToGrpcStatus(reply.status());
  writer->Write(*reply);
  return grpc::Status::OK;
}

grpc::Status ContainerServiceImpl::Remove(
    grpc::ServerContext*, const v1::RemoveContainerRequest* request,
    v1::Empty*) {
  return ToGrpcStatus(core_->Remove(*request));
}

grpc::Status ContainerServiceImpl::List(
    grpc::ServerContext*, const v1::ListContainersRequest* request,
    v1::ListContainersReply* reply) {
  return AnswerWith(core_->List(*request), reply);
}

grpc::Status ContainerServiceImpl::Inspect(grpc::ServerContext*,
                                           const v1::ContainerRef* request,
                                           v1::ContainerDetail* reply) {
  return AnswerWith(core_->Inspect(request->id()), reply);
}

grpc::Status ContainerServiceImpl::Logs(
    grpc::ServerContext* context, const v1::LogsRequest* request,
    grpc::ServerWriter<v1::LogsReply>* writer) {
  return ToGrpcStatus(core_->Logs(
      *request,
      [writer](const v1::LogsReply& reply) { return writer->Write(reply); },
      [context] { return context->IsCancelled(); }));
}

grpc::Status ContainerServiceImpl::Attach(
    grpc::ServerContext* context, const v1::AttachRequest* request,
    grpc::ServerWriter<v1::AttachEvent>* writer) {
  return ToGrpcStatus(core_->Attach(
      *request,
      [writer](const v1::AttachEvent& event) { return writer->Write(event); },
      [context] { return context->IsCancelled(); }));
}

grpc::Status ContainerServiceImpl::Resize(grpc::ServerContext*,
                                          const v1::ResizeRequest* request,
                                          v1::Empty*) {
  return ToGrpcStatus(core_->Resize(*request));
}

grpc::Status ContainerServiceImpl::Pause(grpc::ServerContext*,
                                         const v1::ContainerRef* request,
                                         v1::Empty*) {
  return ToGrpcStatus(core_->Pause(request->id()));
}

grpc::Status ContainerServiceImpl::Unpause(grpc::ServerContext*,
                                           const v1::ContainerRef* request,
                                           v1::Empty*) {
  return ToGrpcStatus(core_->Unpause(request->id()));
}

grpc::Status ContainerServiceImpl::Rename(grpc::ServerContext*,
                                          const v1::RenameRequest* request,
                                          v1::Empty*) {
  return ToGrpcStatus(core_->Rename(*request));
}

grpc::Status ContainerServiceImpl::ConnectNetwork(
    grpc::ServerContext*, const v1::NetworkConnectRequest* request,
    v1::Empty*) {
  return ToGrpcStatus(core_->ConnectNetwork(*request));
}

grpc::Status ContainerServiceImpl::DisconnectNetwork(
    grpc::ServerContext*, const v1::NetworkConnectRequest* request,
    v1::Empty*) {
  return ToGrpcStatus(core_->DisconnectNetwork(*request));
}

grpc::Status ContainerServiceImpl::Prune(
    grpc::ServerContext*, const v1::PruneContainersRequest* request,
    v1::PruneContainersReply* reply) {
  return AnswerWith(core_->Prune(*request), reply);
}

grpc::Status ContainerServiceImpl::Top(grpc::ServerContext*,
                                       const v1::TopRequest* request,
                                       v1::TopReply* reply) {
  return AnswerWith(TopContainer(*core_, *request), reply);
}

grpc::Status ContainerServiceImpl::Stats(
    grpc::ServerContext* context, const v1::StatsRequest* request,
    grpc::ServerWriter<v1::StatsReply>* writer) {
  return ToGrpcStatus(StreamStats(
      *core_, *request,
      [writer](const v1::StatsReply& reply) { return writer->Write(reply); },
      [context] { return context->IsCancelled(); }));
}

grpc::Status ContainerServiceImpl::ExecCreate(
    grpc::ServerContext*, const v1::ExecCreateRequest* request,
    v1::ExecCreateReply* reply) {
  return AnswerWith(execs_->Create(*request), reply);
}

grpc::Status ContainerServiceImpl::ExecStart(
    grpc::ServerContext*, const v1::ExecStartRequest* request,
    v1::ExecStartReply* reply) {
  return AnswerWith(execs_->Start(*request), reply);
}

grpc::Status ContainerServiceImpl::ExecInspect(grpc::ServerContext*,
                                               const v1::ExecRef* request,
                                               v1::ExecDetail* reply) {
  return AnswerWith(execs_->Inspect(request->exec_id()), reply);
}

grpc::Status ContainerServiceImpl::ExecResize(
    grpc::ServerContext*, const v1::ExecResizeRequest* request, v1::Empty*) {
  return ToGrpcStatus(execs_->Resize(*request));
}

grpc::Status ContainerServiceImpl::Counts(grpc::ServerContext*,
                                          const v1::Empty*,
                                          v1::ContainerCounts* reply) {
  *reply = core_->Counts();
  return grpc::Status::OK;
}

grpc::Status ContainerServiceImpl::Changes(grpc::ServerContext*,
                                           const v1::ContainerRef* request,
                                           v1::ChangesReply* reply) {
  absl::StatusOr<std::vector<Change>> changes = fs_->Changes(request->id());
  if (!changes.ok()) return ToGrpcStatus(changes.status());
  *reply = ChangesProto(*changes);
  return grpc::Status::OK;
}

grpc::Status ContainerServiceImpl::Export(
    grpc::ServerContext*, const v1::ContainerRef* request,
    grpc::ServerWriter<v1::ContainerData>* writer) {
  ChunkSink sink([writer](std::string data) {
    v1::ContainerData chunk;
    chunk.set_data(std::move(data));
    return writer->Write(chunk);
  });
  absl::Status status = fs_->Export(request->id(), sink);
  if (status.ok()) status = sink.Flush();
  return ToGrpcStatus(status);
}

grpc::Status ContainerServiceImpl::ArchiveStat(
    grpc::ServerContext*, const v1::ArchivePathRequest* request,
    v1::PathStat* reply) {
  absl::StatusOr<PathStat> stat = fs_->Stat(request->id(), request->path());
  if (!stat.ok()) return ToGrpcStatus(stat.status());
  *reply = PathStatProto(*stat);
  return grpc::Status::OK;
}

grpc::Status ContainerServiceImpl::ArchiveGet(
    grpc::ServerContext*, const v1::ArchivePathRequest* request,
    grpc::ServerWriter<v1::ArchiveChunk>* writer) {
  ChunkSink sink([writer](std::string data) {
    v1::ArchiveChunk chunk;
    chunk.set_data(std::move(data));
    return writer->Write(chunk);
  });
  absl::Status status =
      fs_->Archive(request->id(), request->path(), sink,
                   [writer](const PathStat& stat) -> absl::Status {
                     v1::ArchiveChunk chunk;
                     *chunk.mutable_stat() = PathStatProto(stat);
                     if (!writer->Write(chunk)) {
                       return absl::CancelledError("the receiver went away");
                     }
                     return absl::OkStatus();
                   });
  if (status.ok()) status = sink.Flush();
  return ToGrpcStatus(status);
}

grpc::Status ContainerServiceImpl::ArchivePut(
    grpc::ServerContext*, grpc::ServerReader<v1::ArchivePutInput>* reader,
    v1::Empty*) {
  v1::ArchivePutInput first;
  if (!reader->Read(&first) || !first.has_options()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "an archive upload must start with its options");
  }
  StreamSource<grpc::ServerReader<v1::ArchivePutInput>, v1::ArchivePutInput>
      source(reader);
  return ToGrpcStatus(fs_->Extract(first.options(), source));
}

grpc::Status ContainerServiceImpl::Commit(grpc::ServerContext*,
                                          const v1::CommitRequest* request,
                                          v1::CommitReply* reply) {
  return AnswerWith(CommitContainer(*core_, *fs_, *images_, *request), reply);
}

std::vector<HandlerSpec> ContainerJobs(ContainerCore* core, ExecCore* execs,
                                       ContainerFs* fs, ImageCore* images) {
  // create: the Docker create body as JSON on stdin; env "name".
  auto create = [core](Job& job) -> absl::Status {
    std::string body, chunk;
    while (job.Stdin().Read(&chunk)) body += chunk;
    nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
    BERTH_ASSIGN_OR_RETURN(v1::CreateContainerRequest request,
                           CreateRequestFromJson(parsed));
    request.set_name(job.env().Get("name"));
    BERTH_ASSIGN_OR_RETURN(v1::CreateContainerReply reply,
                           core->Create(request));
    job.Stdout().Write(reply.id() + "\n");
    return absl::OkStatus();
  };
  auto start = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "start CONTAINER"));
    return core->Start(job.args()[0]).status();
  };
  auto stop_request = [](Job& job) -> absl::StatusOr<v1::StopContainerRequest> {
    v1::StopContainerRequest request;
    request.set_id(job.args()[0]);
    request.set_timeout(-1);
    std::string t = job.env().Get("t");
    if (!t.empty()) {
      int32_t timeout;
      if (!absl::SimpleAtoi(t, &timeout)) {
        return absl::InvalidArgumentError(absl::StrCat("invalid t: ", t));
      }
      request.set_timeout(timeout);
    }
    request.set_signal(job.env().Get("signal"));
    return request;
  };
  auto stop = [core, stop_request](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "stop CONTAINER"));
    BERTH_ASSIGN_OR_RETURN(v1::StopContainerRequest request, stop_request(job));
    return core->Stop(request).status();
  };
  auto restart = [core, stop_request](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "restart CONTAINER"));
    BERTH_ASSIGN_OR_RETURN(v1::StopContainerRequest request, stop_request(job));
    return core->Restart(request);
  };
  auto kill = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 2, "kill CONTAINER [SIGNAL]"));
    v1::KillContainerRequest request;
    request.set_id(job.args()[0]);
    if (job.args().size() == 2) request.set_signal(job.args()[1]);
    return core->Kill(request);
  };
  auto wait = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "wait CONTAINER"));
    v1::WaitContainerRequest request;
    request.set_id(job.args()[0]);
    request.set_condition(job.env().Get("condition"));
    BERTH_ASSIGN_OR_RETURN(
        v1::WaitContainerReply reply,
        core->Wait(
            request, [] {}, [&job] { return job.Cancelled(); }));
    job.Stdout().Write(absl::StrCat(reply.status_code(), "\n"));
    return absl::OkStatus();
  };
  auto remove = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "delete CONTAINER"));
    v1::RemoveContainerRequest request;
    request.set_id(job.args()[0]);
    request.set_force(job.env().GetBool("force"));
    request.set_remove_volumes(job.env().GetBool("v"));
    return core->Remove(request);
  };
  auto list = [core](Job& job) -> absl::Status {
    v1::ListContainersRequest request;
    request.set_all(job.env().GetBool("all"));
    BERTH_RETURN_IF_ERROR(ParseDockerFilters(job.env().Get("filters"),
                                             request.mutable_filters()));
    BERTH_ASSIGN_OR_RETURN(v1::ListContainersReply reply, core->List(request));
    job.Stdout().Write(ContainerListJson(reply) + "\n");
    return absl::OkStatus();
  };
  auto inspect = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "container_inspect CONTAINER"));
    BERTH_ASSIGN_OR_RETURN(v1::ContainerDetail detail,
                           core->Inspect(job.args()[0]));
    PrintJson(job, ContainerInspectJson(detail));
    return absl::OkStatus();
  };
  auto logs = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "logs CONTAINER"));
    v1::LogsRequest request;
    request.set_id(job.args()[0]);
    request.set_follow(job.env().GetBool("follow"));
    request.set_stdout(true);
    request.set_stderr(true);
    request.set_timestamps(job.env().GetBool("timestamps"));
    request.set_tail(-1);
    return core->Logs(
        request,
        [&job](const v1::LogsReply& reply) {
          for (const v1::LogEntry& entry : reply.entries()) {
            std::string line = entry.timestamp().empty()
                                   ? entry.data()
                                   : entry.timestamp() + " " + entry.data();
            (entry.stream() == 2 ? job.Stderr() : job.Stdout()).Write(line);
          }
          return true;
        },
        [&job] { return job.Cancelled(); });
  };
  auto resize = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 3, 3, "resize CONTAINER HEIGHT WIDTH"));
    v1::ResizeRequest request;
    request.set_id(job.args()[0]);
    int32_t height, width;
    if (!absl::SimpleAtoi(job.args()[1], &height) ||
        !absl::SimpleAtoi(job.args()[2], &width)) {
      return absl::InvalidArgumentError("resize: HEIGHT and WIDTH are numbers");
    }
    request.set_height(height);
    request.set_width(width);
    return core->Resize(request);
  };
  auto by_name = [core](const char* usage, absl::Status (ContainerCore::*call)(
                                               const std::string&)) {
    return [core, usage, call](Job& job) -> absl::Status {
      BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, usage));
      return (core->*call)(job.args()[0]);
    };
  };
  auto rename = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 2, 2, "rename CONTAINER NEW_NAME"));
    v1::RenameRequest request;
    request.set_id(job.args()[0]);
    request.set_name(job.args()[1]);
    return core->Rename(request);
  };
  auto prune = [core](Job& job) -> absl::Status {
    v1::PruneContainersRequest request;
    BERTH_RETURN_IF_ERROR(ParseDockerFilters(job.env().Get("filters"),
                                             request.mutable_filters()));
    BERTH_ASSIGN_OR_RETURN(v1::PruneContainersReply reply,
                           core->Prune(request));
    PrintJson(job, PruneContainersJson(reply));
    return absl::OkStatus();
  };
  auto top = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 2, "top CONTAINER [PS_ARGS]"));
    v1::TopRequest request;
    request.set_id(job.args()[0]);
    if (job.args().size() == 2) request.set_ps_args(job.args()[1]);
    BERTH_ASSIGN_OR_RETURN(v1::TopReply reply, TopContainer(*core, request));
    PrintJson(job, TopJson(reply));
    return absl::OkStatus();
  };
  auto stats = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "stats CONTAINER"));
    v1::StatsRequest request;
    request.set_id(job.args()[0]);
    request.set_stream(job.env().GetBool("stream"));
    std::optional<v1::StatsSample> previous;
    return StreamStats(
        *core, request,
        [&](const v1::StatsReply& reply) {
          job.Stdout().Write(
              StatsJson(reply.sample(), previous ? &*previous : nullptr)
                  .dump() +
              "\n");
          previous = reply.sample();
          return true;
        },
        [&job] { return job.Cancelled(); });
  };
  // exec_create CONTAINER CMD...: env tty, user, workdir, privileged.
  auto exec_create = [execs](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(
        NeedArgs(job, 2, SIZE_MAX, "exec_create CONTAINER COMMAND [ARG...]"));
    v1::ExecCreateRequest request;
    request.set_id(job.args()[0]);
    v1::ExecConfig* config = request.mutable_config();
    config->mutable_cmd()->Assign(job.args().begin() + 1, job.args().end());
    config->set_tty(job.env().GetBool("tty"));
    config->set_user(job.env().Get("user"));
    config->set_working_dir(job.env().Get("workdir"));
    config->set_privileged(job.env().GetBool("privileged"));
    BERTH_ASSIGN_OR_RETURN(v1::ExecCreateReply reply, execs->Create(request));
    job.Stdout().Write(reply.id() + "\n");
    return absl::OkStatus();
  };
  // Detached: attached exec streams go through the gateway's hijack.
  auto exec_start = [execs](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "exec_start EXEC_ID"));
    v1::ExecStartRequest request;
    request.set_exec_id(job.args()[0]);
    request.set_detach(true);
    return execs->Start(request).status();
  };
  auto exec_inspect = [execs](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "exec_inspect EXEC_ID"));
    BERTH_ASSIGN_OR_RETURN(v1::ExecDetail detail,
                           execs->Inspect(job.args()[0]));
    PrintJson(job, ExecInspectJson(detail));
    return absl::OkStatus();
  };
  auto exec_resize = [execs](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(
        NeedArgs(job, 3, 3, "exec_resize EXEC_ID HEIGHT WIDTH"));
    v1::ExecResizeRequest request;
    request.set_exec_id(job.args()[0]);
    int32_t height, width;
    if (!absl::SimpleAtoi(job.args()[1], &height) ||
        !absl::SimpleAtoi(job.args()[2], &width)) {
      return absl::InvalidArgumentError(
          "exec_resize: HEIGHT and WIDTH are numbers");
    }
    request.set_height(height);
    request.set_width(width);
    return execs->Resize(request);
  };
  auto changes = [fs](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "container_changes CONTAINER"));
    BERTH_ASSIGN_OR_RETURN(std::vector<Change> found,
                           fs->Changes(job.args()[0]));
    PrintJson(job, ChangesJson(ChangesProto(found)));
    return absl::OkStatus();
  };
  // The tar to stdout, in chunks of the size RPCs carry.
  auto tar_out = [](Job& job) {
    return ChunkSink([&job](std::string data) {
      job.Stdout().Write(data);
      return !job.Cancelled();
    });
  };
  auto export_tar = [fs, tar_out](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "export CONTAINER"));
    ChunkSink sink = tar_out(job);
    BERTH_RETURN_IF_ERROR(fs->Export(job.args()[0], sink));
    return sink.Flush();
  };
  auto copy = [fs, tar_out](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 2, 2, "container_copy CONTAINER PATH"));
    ChunkSink sink = tar_out(job);
    BERTH_RETURN_IF_ERROR(
        fs->Archive(job.args()[0], job.args()[1], sink, nullptr));
    return sink.Flush();
  };
  // commit CONTAINER: env repo, tag, author, comment, pause (default
  // true), changes (a list), config (a container Config as JSON).
  auto commit = [core, fs, images](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "commit CONTAINER"));
    v1::CommitRequest request;
    request.set_id(job.args()[0]);
    request.set_repo(job.env().Get("repo"));
    request.set_tag(job.env().Get("tag"));
    request.set_author(job.env().Get("author"));
    request.set_comment(job.env().Get("comment"));
    request.set_pause(!job.env().Exists("pause") || job.env().GetBool("pause"));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> changes,
                           job.env().GetList("changes"));
    for (const std::string& change : changes) request.add_changes(change);
    request.set_config_json(job.env().Get("config"));
    BERTH_ASSIGN_OR_RETURN(v1::CommitReply reply,
                           CommitContainer(*core, *fs, *images, request));
    job.Stdout().Write(reply.id() + "\n");
    return absl::OkStatus();
  };
  return {{"create", create},
          {"start", start},
          {"stop", stop},
          {"restart", restart},
          {"kill", kill},
          {"wait", wait},
          {"delete", remove},
          {"containers", list},
          {"container_inspect", inspect},
          {"logs", logs},
          {"resize", resize},
          {"pause", by_name("pause CONTAINER", &ContainerCore::Pause)},
          {"unpause", by_name("unpause CONTAINER", &ContainerCore::Unpause)},
          {"rename", rename},
          {"containers_prune", prune},
          {"top", top},
          {"stats", stats},
          {"exec_create", exec_create},
          {"exec_start", exec_start},
          {"exec_inspect", exec_inspect},
          {"exec_resize", exec_resize},
          {"container_changes", changes},
          {"export", export_tar},
          {"container_copy", copy},
          {"commit", commit}};
}

}  // namespace berth
