#include "gateway/container_routes.h"

#include <sys/socket.h>

#include <array>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/http/api_version.h"
#include "gateway/http/hijacked_conn.h"
#include "gateway/http/splice.h"
#include "gateway/http_status.h"
#include "glog/logging.h"
#include "grpcpp/client_context.h"
#include "lib/base/status_macros.h"
#include "lib/base/unix_socket.h"
#include "lib/docker/container_json.h"
#include "lib/docker/filters.h"
#include "lib/docker/stream_frame.h"
#include "lib/docker/timestamp.h"
#include "lib/rpc/status.h"
#include "proto/container.grpc.pb.h"

namespace berth::gateway {
namespace {

using Stub = v1::ContainerService::Stub;

// The container service is whichever service owns the `create` job.
constexpr char kOwnerJob[] = "create";

template <typename Reply, typename Call>
absl::StatusOr<Reply> Unary(ServiceResolver* resolver, Call call) {
  return CallOwner<v1::ContainerService, Reply>(resolver, kOwnerJob, call);
}

absl::StatusOr<std::unique_ptr<Stub>> NewStub(ServiceResolver* resolver) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                         resolver->ChannelFor(kOwnerJob));
  return v1::ContainerService::NewStub(channel);
}

std::string Frame(int stream, absl::string_view data) {
  std::array<char, 8> header = StreamFrameHeader(stream, data.size());
  std::string out(header.data(), header.size());
  out.append(data.data(), data.size());
  return out;
}

absl::StatusOr<int32_t> QueryInt(const Request& request, const char* name,
                                 int32_t fallback) {
  std::string value = request.Query(name);
  if (value.empty()) return fallback;
  int32_t out;
  if (!absl::SimpleAtoi(value, &out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value for ", name, ": ", value));
  }
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
      Unary<v1::CreateContainerReply>(
          resolver, [&](Stub& stub, grpc::ClientContext* context,
                        v1::CreateContainerReply* out) {
            return stub.Create(context, *create, out);
          });
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(
      201, {{"Id", reply->id()},
            {"Warnings", std::vector<std::string>(reply->warnings().begin(),
                                                  reply->warnings().end())}});
}

void Wait(ServiceResolver* resolver, Request& request, ResponseWriter& writer) {
  v1::ContainerRef ref;
  ref.set_id(request.Param("name"));
  // Existence first, so that a missing container is a plain 404.
  absl::StatusOr<v1::ContainerDetail> detail = Unary<v1::ContainerDetail>(
      resolver,
      [&](Stub& stub, grpc::ClientContext* context, v1::ContainerDetail* out) {
        return stub.Inspect(context, ref, out);
      });
  if (!detail.ok()) return SendStatus(writer, detail.status());
  v1::WaitContainerRequest wait;
  wait.set_id(detail->id());
  wait.set_condition(request.Query("condition"));
  if (!wait.condition().empty() && wait.condition() != "not-running" &&
      wait.condition() != "next-exit" && wait.condition() != "removed") {
    return writer.SendError(
        400, absl::StrCat("invalid condition: \"", wait.condition(), "\""));
  }
  // The CLI waits for these headers before it starts the container.
  if (!writer.StartStream(200, {{"Content-Type", "application/json"}})) return;
  absl::StatusOr<std::unique_ptr<Stub>> stub = NewStub(resolver);
  nlohmann::json out = {{"StatusCode", -1}, {"Error", nullptr}};
  if (stub.ok()) {
    grpc::ClientContext context;
    v1::WaitContainerReply reply;
    grpc::Status status = (*stub)->Wait(&context, wait, &reply);
    if (status.ok()) {
      out["StatusCode"] = reply.status_code();
      if (!reply.error().empty()) out["Error"] = {{"Message", reply.error()}};
    } else {
      out["Error"] = {{"Message", status.error_message()}};
    }
  } else {
    out["Error"] = {{"Message", std::string(stub.status().message())}};
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

  absl::StatusOr<std::unique_ptr<Stub>> stub = NewStub(resolver);
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
  absl::StatusOr<std::unique_ptr<Stub>> stub = NewStub(resolver);
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
  absl::StatusOr<UniqueFd> shim = ConnectUnix(target.socket());
  if (!shim.ok()) {
    // It exited already: nothing more to read.
    (void)(*conn)->CloseWrite();
    return;
  }
  std::string hello =
      absl::StrCat("attach ", attach.stdin() ? 1 : 0, " ",
                   attach.stdout() ? 1 : 0, " ", attach.stderr() ? 1 : 0, "\n");
  if (send(shim->get(), hello.data(), hello.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(hello.size())) {
    (void)(*conn)->CloseWrite();
    return;
  }
  // Not close_on_client_eof even without stdin: the docker CLI half-closes
  // its side at once then, and still reads the output to its end.
  absl::Status spliced = Splice(**conn, shim->get());
  if (!spliced.ok()) VLOG(1) << "attach " << attach.id() << ": " << spliced;
}

}  // namespace

absl::Status AddContainerRoutes(Router& router, ServiceResolver* resolver) {
  auto route =
      [&](const char* method, const char* path,
          void (*handler)(ServiceResolver*, Request&, ResponseWriter&)) {
        return router.Add(
            method, path,
            [resolver, handler](Request& request, ResponseWriter& writer) {
              handler(resolver, request, writer);
            });
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
        BERTH_ASSIGN_OR_RETURN(
            v1::StartContainerReply reply,
            Unary<v1::StartContainerReply>(
                resolver, [&](Stub& stub, grpc::ClientContext* context,
                              v1::StartContainerReply* out) {
                  return stub.Start(context, ref, out);
                }));
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
  BERTH_RETURN_IF_ERROR(
      simple("POST", "/containers/{name}/stop",
             [stop_request](ServiceResolver* resolver,
                            Request& request) -> absl::StatusOr<bool> {
               BERTH_ASSIGN_OR_RETURN(v1::StopContainerRequest stop,
                                      stop_request(request));
               BERTH_ASSIGN_OR_RETURN(
                   v1::StopContainerReply reply,
                   Unary<v1::StopContainerReply>(
                       resolver, [&](Stub& stub, grpc::ClientContext* context,
                                     v1::StopContainerReply* out) {
                         return stub.Stop(context, stop, out);
                       }));
               return reply.not_running();
             }));
  BERTH_RETURN_IF_ERROR(
      simple("POST", "/containers/{name}/restart",
             [stop_request](ServiceResolver* resolver,
                            Request& request) -> absl::StatusOr<bool> {
               BERTH_ASSIGN_OR_RETURN(v1::StopContainerRequest stop,
                                      stop_request(request));
               BERTH_RETURN_IF_ERROR(
                   Unary<v1::Empty>(resolver, [&](Stub& stub,
                                                  grpc::ClientContext* context,
                                                  v1::Empty* out) {
                     return stub.Restart(context, stop, out);
                   }).status());
               return false;
             }));
  BERTH_RETURN_IF_ERROR(simple(
      "POST", "/containers/{name}/kill",
      [](ServiceResolver* resolver, Request& request) -> absl::StatusOr<bool> {
        v1::KillContainerRequest kill;
        kill.set_id(request.Param("name"));
        kill.set_signal(request.Query("signal"));
        BERTH_RETURN_IF_ERROR(
            Unary<v1::Empty>(resolver, [&](Stub& stub,
                                           grpc::ClientContext* context,
                                           v1::Empty* out) {
              return stub.Kill(context, kill, out);
            }).status());
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
            Unary<v1::Empty>(resolver, [&](Stub& stub,
                                           grpc::ClientContext* context,
                                           v1::Empty* out) {
              return stub.Remove(context, remove, out);
            }).status());
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
            Unary<v1::Empty>(resolver, [&](Stub& stub,
                                           grpc::ClientContext* context,
                                           v1::Empty* out) {
              return stub.Resize(context, resize, out);
            }).status());
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
            Unary<v1::ListContainersReply>(
                resolver, [&](Stub& stub, grpc::ClientContext* context,
                              v1::ListContainersReply* out) {
                  return stub.List(context, list, out);
                });
        if (!reply.ok()) return SendStatus(writer, reply.status());
        writer.Send(200, {{"Content-Type", "application/json"}},
                    ContainerListJson(*reply) + "\n");
      }));
  BERTH_RETURN_IF_ERROR(router.Add(
      "GET", "/containers/{name}/json",
      [resolver](Request& request, ResponseWriter& writer) {
        v1::ContainerRef ref;
        ref.set_id(request.Param("name"));
        absl::StatusOr<v1::ContainerDetail> detail = Unary<v1::ContainerDetail>(
            resolver, [&](Stub& stub, grpc::ClientContext* context,
                          v1::ContainerDetail* out) {
              return stub.Inspect(context, ref, out);
            });
        if (!detail.ok()) return SendStatus(writer, detail.status());
        writer.SendJson(200, ContainerInspectJson(*detail));
      }));
  BERTH_RETURN_IF_ERROR(route("POST", "/containers/{name}/wait", Wait));
  BERTH_RETURN_IF_ERROR(route("GET", "/containers/{name}/logs", Logs));
  BERTH_RETURN_IF_ERROR(route("POST", "/containers/{name}/attach", Attach));
  return absl::OkStatus();
}

}  // namespace berth::gateway
