#include "gateway/container_routes.h"

#include <array>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/container_call.h"
#include "gateway/http/api_version.h"
#include "gateway/http/hijacked_conn.h"
#include "gateway/http_status.h"
#include "glog/logging.h"
#include "grpcpp/client_context.h"
#include "lib/base/status_macros.h"
#include "lib/docker/container_json.h"
#include "lib/docker/filters.h"
#include "lib/docker/stats_json.h"
#include "lib/docker/stream_frame.h"
#include "lib/docker/timestamp.h"
#include "lib/rpc/status.h"
#include "proto/container.grpc.pb.h"

namespace berth::gateway {
namespace {

using Stub = ContainerStub;

std::string Frame(int stream, absl::string_view data) {
  std::array<char, 8> header = StreamFrameHeader(stream, data.size());
  std::string out(header.data(), header.size());
  out.append(data.data(), data.size());
  return out;
}

void Create(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) {
    return writer.SendError(400, "invalid JSON in the request body");
  }
  absl::StatusOr<v1::CreateContainerRequest> create =
      CreateRequestFromJson(body);
  if (!create.ok()) return SendStatus(writer, create.status());
  create->set_name(request.Query("name"));
  absl::StatusOr<v1::CreateContainerReply> reply =
      ContainerCall<v1::CreateContainerReply>(resolver, &Stub::Create, *create);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(
      201, {{"Id", reply->id()},
            {"Warnings", std::vector<std::string>(reply->warnings().begin(),
                                                  reply->warnings().end())}});
}

void Wait(ServiceResolver* resolver, Request& request, ResponseWriter& writer) {
  v1::WaitContainerRequest wait;
  wait.set_id(request.Param("name"));
  wait.set_condition(request.Query("condition"));
  if (!wait.condition().empty() && wait.condition() != "not-running" &&
      wait.condition() != "next-exit" && wait.condition() != "removed") {
    return writer.SendError(
        400, absl::StrCat("invalid condition: \"", wait.condition(), "\""));
  }
  absl::StatusOr<std::unique_ptr<Stub>> stub = NewContainerStub(resolver);
  if (!stub.ok()) return SendStatus(writer, stub.status());
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::WaitContainerReply>> reader =
      (*stub)->Wait(&context, wait);
  // The daemon's first answer says the wait is registered (or why not: a
  // missing container is a plain 404). Only then the headers: the CLI
  // starts the container when it has them.
  v1::WaitContainerReply reply;
  if (!reader->Read(&reply)) {
    return SendStatus(writer, FromGrpcStatus(reader->Finish()));
  }
  if (!writer.StartStream(200, {{"Content-Type", "application/json"}})) {
    context.TryCancel();
    reader->Finish();
    return;
  }
  nlohmann::json out = {{"StatusCode", -1}, {"Error", nullptr}};
  bool got = reader->Read(&reply);
  grpc::Status status = reader->Finish();
  if (got && status.ok()) {
    out["StatusCode"] = reply.status_code();
    if (!reply.error().empty()) out["Error"] = {{"Message", reply.error()}};
  } else {
    out["Error"] = {{"Message", status.ok()
                                    ? std::string("the wait ended early")
                                    : status.error_message()}};
  }
  writer.Write(out.dump() + "\n");
}

void Logs(ServiceResolver* resolver, Request& request, ResponseWriter& writer) {
  v1::LogsRequest logs;
  logs.set_id(request.Param("name"));
  logs.set_follow(request.QueryBool("follow"));
  logs.set_stdout(request.QueryBool("stdout"));
  logs.set_stderr(request.QueryBool("stderr"));
  logs.set_timestamps(request.QueryBool("timestamps"));
  if (!logs.stdout() && !logs.stderr()) {
    return writer.SendError(
        400, "Bad parameters: you must choose at least one stream");
  }
  for (auto [name, field] :
       {std::pair{"since", &v1::LogsRequest::set_since_ns},
        std::pair{"until", &v1::LogsRequest::set_until_ns}}) {
    std::string value = request.Query(name);
    if (value.empty() || value == "0") continue;
    absl::StatusOr<int64_t> ns = ParseDockerTimestamp(value);
    if (!ns.ok()) return SendStatus(writer, ns.status());
    (logs.*field)(*ns);
  }
  std::string tail = request.Query("tail");
  int64_t lines = -1;
  if (!tail.empty() && tail != "all" && !absl::SimpleAtoi(tail, &lines)) {
    return writer.SendError(400, absl::StrCat("invalid tail: ", tail));
  }
  logs.set_tail(lines);

  absl::StatusOr<std::unique_ptr<Stub>> stub = NewContainerStub(resolver);
  if (!stub.ok()) return SendStatus(writer, stub.status());
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::LogsReply>> reader =
      (*stub)->Logs(&context, logs);
  v1::LogsReply reply;
  if (!reader->Read(&reply)) {
    return SendStatus(writer, FromGrpcStatus(reader->Finish()));
  }
  bool tty = reply.tty();
  bool multiplexed = !tty;
  std::string type =
      std::string(multiplexed && CompareApiVersions(
                                     request.effective_api_version, "1.42") >= 0
                      ? kMultiplexedStreamType
                      : kRawStreamType);
  if (!writer.StartStream(200, {{"Content-Type", type}})) {
    context.TryCancel();
    reader->Finish();
    return;
  }
  while (reader->Read(&reply)) {
    std::string out;
    for (const v1::LogEntry& entry : reply.entries()) {
      std::string data =
          entry.timestamp().empty()
              ? entry.data()
              : absl::StrCat(entry.timestamp(), " ", entry.data());
      absl::StrAppend(&out, multiplexed ? Frame(entry.stream(), data) : data);
    }
    if (!writer.Write(out)) {
      context.TryCancel();
      break;
    }
  }
  reader->Finish();
}

void Attach(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  v1::AttachRequest attach;
  attach.set_id(request.Param("name"));
  attach.set_stdin(request.QueryBool("stdin"));
  attach.set_stdout(request.QueryBool("stdout"));
  attach.set_stderr(request.QueryBool("stderr"));
  absl::StatusOr<std::unique_ptr<Stub>> stub = NewContainerStub(resolver);
  if (!stub.ok()) return SendStatus(writer, stub.status());
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::AttachEvent>> reader =
      (*stub)->Attach(&context, attach);
  v1::AttachEvent settings;
  if (!reader->Read(&settings)) {
    return SendStatus(writer, FromGrpcStatus(reader->Finish()));
  }
  HijackResponse response = DockerHijackResponse(request, !settings.tty());
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      writer.Hijack(response.status, response.headers);
  if (!conn.ok()) {
    context.TryCancel();
    reader->Finish();
    return;
  }
  // Waits for the container to start when it has not yet.
  v1::AttachEvent target;
  bool got = reader->Read(&target);
  grpc::Status finished = reader->Finish();
  if (!got || target.socket().empty()) {
    VLOG(1) << "attach " << attach.id() << ": " << finished.error_message();
    (void)(*conn)->CloseWrite();
    return;
  }
  SpliceToShim(**conn, target.socket(),
               absl::StrCat("attach ", attach.stdin() ? 1 : 0, " ",
                            attach.stdout() ? 1 : 0, " ",
                            attach.stderr() ? 1 : 0, "\n"));
}

// One JSON document per sample; the first waits for a second sample
// (Docker's precpu) unless the client asked for one-shot.
void Stats(ServiceResolver* resolver, Request& request,
           ResponseWriter& writer) {
  v1::StatsRequest stats;
  stats.set_id(request.Param("name"));
  stats.set_stream(request.Query("stream").empty() ||
                   request.QueryBool("stream"));
  stats.set_one_shot(request.QueryBool("one-shot"));
  absl::StatusOr<std::unique_ptr<Stub>> stub = NewContainerStub(resolver);
  if (!stub.ok()) return SendStatus(writer, stub.status());
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::StatsReply>> reader =
      (*stub)->Stats(&context, stats);
  v1::StatsReply reply;
  if (!reader->Read(&reply)) {
    return SendStatus(writer, FromGrpcStatus(reader->Finish()));
  }
  std::optional<v1::StatsSample> previous;
  bool single = !stats.stream();
  if (single && !stats.one_shot()) {
    previous = reply.sample();
    if (!reader->Read(&reply)) {
      return SendStatus(writer, FromGrpcStatus(reader->Finish()));
    }
  }
  if (!writer.StartStream(200, {{"Content-Type", "application/json"}})) {
    context.TryCancel();
    reader->Finish();
    return;
  }
  do {
    if (!writer.Write(
            StatsJson(reply.sample(), previous ? &*previous : nullptr).dump() +
            "\n")) {
      context.TryCancel();
      break;
    }
    previous = reply.sample();
  } while (!single && reader->Read(&reply));
  if (single) context.TryCancel();
  reader->Finish();
  writer.EndStream();
}

}  // namespace

absl::Status AddContainerRoutes(Router& router, ServiceResolver* resolver) {
  auto route = [&](const char* method, const char* path,
                   ResolverHandler handler, bool stream_body = false) {
    return AddResolverRoute(router, resolver, method, path, handler,
                            stream_body);
  };
  // Calls whose answer is empty: 204, or 304 when nothing had to change.
  auto simple = [&](const char* method, const char* path, auto call) {
    return router.Add(
        method, path,
        [resolver, call](Request& request, ResponseWriter& writer) {
          absl::StatusOr<bool> unchanged = call(resolver, request);
          if (!unchanged.ok()) return SendStatus(writer, unchanged.status());
          writer.Send(*unchanged ? 304 : 204, {}, "");
        });
  };
  BERTH_RETURN_IF_ERROR(route("POST", "/containers/create", Create));
  BERTH_RETURN_IF_ERROR(simple(
      "POST", "/containers/{name}/start",
      [](ServiceResolver* resolver, Request& request) -> absl::StatusOr<bool> {
        v1::ContainerRef ref;
        ref.set_id(request.Param("name"));
        BERTH_ASSIGN_OR_RETURN(v1::StartContainerReply reply,
                               ContainerCall<v1::StartContainerReply>(
                                   resolver, &Stub::Start, ref));
        return reply.already_running();
      }));
  auto stop_request =
      [](Request& request) -> absl::StatusOr<v1::StopContainerRequest> {
    v1::StopContainerRequest stop;
    stop.set_id(request.Param("name"));
    BERTH_ASSIGN_OR_RETURN(int32_t timeout, QueryInt(request, "t", -1));
    stop.set_timeout(timeout);
    stop.set_signal(request.Query("signal"));
    return stop;
  };
  BERTH_RETURN_IF_ERROR(simple(
      "POST", "/containers/{name}/stop",
      [stop_request](ServiceResolver* resolver,
                     Request& request) -> absl::StatusOr<bool> {
        BERTH_ASSIGN_OR_RETURN(v1::StopContainerRequest stop,
                               stop_request(request));
        BERTH_ASSIGN_OR_RETURN(
            v1::StopContainerReply reply,
            ContainerCall<v1::StopContainerReply>(resolver, &Stub::Stop, stop));
        return reply.not_running();
      }));
  BERTH_RETURN_IF_ERROR(simple(
      "POST", "/containers/{name}/restart",
      [stop_request](ServiceResolver* resolver,
                     Request& request) -> absl::StatusOr<bool> {
        BERTH_ASSIGN_OR_RETURN(v1::StopContainerRequest stop,
                               stop_request(request));
        BERTH_RETURN_IF_ERROR(
            ContainerCall<v1::Empty>(resolver, &Stub::Restart, stop).status());
        return false;
      }));
  BERTH_RETURN_IF_ERROR(simple(
      "POST", "/containers/{name}/kill",
      [](ServiceResolver* resolver, Request& request) -> absl::StatusOr<bool> {
        v1::KillContainerRequest kill;
        kill.set_id(request.Param("name"));
        kill.set_signal(request.Query("signal"));
        BERTH_RETURN_IF_ERROR(
            ContainerCall<v1::Empty>(resolver, &Stub::Kill, kill).status());
        return false;
      }));
  BERTH_RETURN_IF_ERROR(simple(
      "DELETE", "/containers/{name}",
      [](ServiceResolver* resolver, Request& request) -> absl::StatusOr<bool> {
        v1::RemoveContainerRequest remove;
        remove.set_id(request.Param("name"));
        remove.set_force(request.QueryBool("force"));
        remove.set_remove_volumes(request.QueryBool("v"));
        BERTH_RETURN_IF_ERROR(
            ContainerCall<v1::Empty>(resolver, &Stub::Remove, remove).status());
        return false;
      }));
  BERTH_RETURN_IF_ERROR(simple(
      "POST", "/containers/{name}/resize",
      [](ServiceResolver* resolver, Request& request) -> absl::StatusOr<bool> {
        v1::ResizeRequest resize;
        resize.set_id(request.Param("name"));
        BERTH_ASSIGN_OR_RETURN(int32_t height, QueryInt(request, "h", 0));
        BERTH_ASSIGN_OR_RETURN(int32_t width, QueryInt(request, "w", 0));
        resize.set_height(height);
        resize.set_width(width);
        BERTH_RETURN_IF_ERROR(
            ContainerCall<v1::Empty>(resolver, &Stub::Resize, resize).status());
        return false;
      }));
  BERTH_RETURN_IF_ERROR(router.Add(
      "GET", "/containers/json",
      [resolver](Request& request, ResponseWriter& writer) {
        v1::ListContainersRequest list;
        list.set_all(request.QueryBool("all"));
        absl::StatusOr<int32_t> limit = QueryInt(request, "limit", 0);
        if (!limit.ok()) return SendStatus(writer, limit.status());
        list.set_limit(*limit);
        list.set_size(request.QueryBool("size"));
        absl::Status filters = ParseDockerFilters(request.Query("filters"),
                                                  list.mutable_filters());
        if (!filters.ok()) return SendStatus(writer, filters);
        absl::StatusOr<v1::ListContainersReply> reply =
            ContainerCall<v1::ListContainersReply>(resolver, &Stub::List, list);
        if (!reply.ok()) return SendStatus(writer, reply.status());
        writer.Send(200, {{"Content-Type", "application/json"}},
                    ContainerListJson(*reply) + "\n");
      }));
  BERTH_RETURN_IF_ERROR(router.Add(
      "GET", "/containers/{name}/json",
      [resolver](Request& request, ResponseWriter& writer) {
        v1::ContainerRef ref;
        ref.set_id(request.Param("name"));
        absl::StatusOr<v1::ContainerDetail> detail =
            ContainerCall<v1::ContainerDetail>(resolver, &Stub::Inspect, ref);
        if (!detail.ok()) return SendStatus(writer, detail.status());
        writer.SendJson(200, ContainerInspectJson(*detail));
      }));
  for (auto [path, method] :
       {std::pair{"/containers/{name}/pause", &Stub::Pause},
        std::pair{"/containers/{name}/unpause", &Stub::Unpause}}) {
    BERTH_RETURN_IF_ERROR(
        simple("POST", path,
               [method](ServiceResolver* resolver,
                        Request& request) -> absl::StatusOr<bool> {
                 v1::ContainerRef ref;
                 ref.set_id(request.Param("name"));
                 BERTH_RETURN_IF_ERROR(
                     ContainerCall<v1::Empty>(resolver, method, ref).status());
                 return false;
               }));
  }
  BERTH_RETURN_IF_ERROR(simple(
      "POST", "/containers/{name}/rename",
      [](ServiceResolver* resolver, Request& request) -> absl::StatusOr<bool> {
        v1::RenameRequest rename;
        rename.set_id(request.Param("name"));
        rename.set_name(request.Query("name"));
        BERTH_RETURN_IF_ERROR(
            ContainerCall<v1::Empty>(resolver, &Stub::Rename, rename).status());
        return false;
      }));
  BERTH_RETURN_IF_ERROR(
      router.Add("GET", "/containers/{name}/top",
                 [resolver](Request& request, ResponseWriter& writer) {
                   v1::TopRequest top;
                   top.set_id(request.Param("name"));
                   top.set_ps_args(request.Query("ps_args"));
                   absl::StatusOr<v1::TopReply> reply =
                       ContainerCall<v1::TopReply>(resolver, &Stub::Top, top);
                   if (!reply.ok()) return SendStatus(writer, reply.status());
                   writer.SendJson(200, TopJson(*reply));
                 }));
  BERTH_RETURN_IF_ERROR(
      router.Add("POST", "/containers/prune",
                 [resolver](Request& request, ResponseWriter& writer) {
                   v1::PruneContainersRequest prune;
                   absl::Status filters = ParseDockerFilters(
                       request.Query("filters"), prune.mutable_filters());
                   if (!filters.ok()) return SendStatus(writer, filters);
                   absl::StatusOr<v1::PruneContainersReply> reply =
                       ContainerCall<v1::PruneContainersReply>(
                           resolver, &Stub::Prune, prune);
                   if (!reply.ok()) return SendStatus(writer, reply.status());
                   writer.SendJson(200, PruneContainersJson(*reply));
                 }));
  BERTH_RETURN_IF_ERROR(route("GET", "/containers/{name}/stats", Stats));
  BERTH_RETURN_IF_ERROR(route("POST", "/containers/{name}/wait", Wait));
  BERTH_RETURN_IF_ERROR(route("GET", "/containers/{name}/logs", Logs));
  BERTH_RETURN_IF_ERROR(route("POST", "/containers/{name}/attach", Attach));
  return absl::OkStatus();
}

}  // namespace berth::gateway
