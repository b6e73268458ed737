#include "gateway/exec_routes.h"

#include "gateway/container_call.h"
#include "gateway/http_status.h"
#include "glog/logging.h"
#include "lib/base/status_macros.h"
#include "lib/docker/container_json.h"
#include "lib/docker/json_util.h"

namespace berth::gateway {
namespace {

using Stub = ContainerStub;

void Create(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) {
    return writer.SendError(400, "invalid JSON in the request body");
  }
  v1::ExecCreateRequest create;
  create.set_id(request.Param("name"));
  absl::StatusOr<v1::ExecConfig> config = ExecConfigFromJson(body);
  if (!config.ok()) return SendStatus(writer, config.status());
  *create.mutable_config() = std::move(*config);
  absl::StatusOr<v1::ExecCreateReply> reply =
      ContainerCall<v1::ExecCreateReply>(resolver, &Stub::ExecCreate, create);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(201, {{"Id", reply->id()}});
}

void Start(ServiceResolver* resolver, Request& request,
           ResponseWriter& writer) {
  nlohmann::json body = nlohmann::json::parse(
      request.body.empty() ? "{}" : request.body, nullptr, false);
  if (!body.is_object()) {
    return writer.SendError(400, "invalid JSON in the request body");
  }
  v1::ExecStartRequest start;
  start.set_exec_id(request.Param("id"));
  auto detach = body.find("Detach");
  start.set_detach(detach != body.end() && detach->is_boolean() &&
                   detach->get<bool>());
  absl::StatusOr<v1::ExecStartReply> reply =
      ContainerCall<v1::ExecStartReply>(resolver, &Stub::ExecStart, start);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  if (start.detach()) return writer.Send(200, {}, "");
  HijackResponse response = DockerHijackResponse(request, !reply->tty());
  absl::StatusOr<std::unique_ptr<HijackedConn>> conn =
      writer.Hijack(response.status, response.headers);
  if (!conn.ok()) {
    VLOG(1) << "exec " << start.exec_id() << ": " << conn.status();
    return;
  }
  SpliceToShim(**conn, reply->socket(), reply->request());
}

}  // namespace

absl::Status AddExecRoutes(Router& router, ServiceResolver* resolver) {
  auto route = [&](const char* method, const char* path,
                   ResolverHandler handler, bool stream_body = false) {
    return AddResolverRoute(router, resolver, method, path, handler,
                            stream_body);
  };
  BERTH_RETURN_IF_ERROR(route("POST", "/containers/{name}/exec", Create));
  BERTH_RETURN_IF_ERROR(route("POST", "/exec/{id}/start", Start));
  BERTH_RETURN_IF_ERROR(router.Add(
      "POST", "/exec/{id}/resize",
      [resolver](Request& request, ResponseWriter& writer) {
        v1::ExecResizeRequest resize;
        resize.set_exec_id(request.Param("id"));
        absl::StatusOr<int32_t> height = QueryInt(request, "h", 0);
        absl::StatusOr<int32_t> width = QueryInt(request, "w", 0);
        if (!height.ok()) return SendStatus(writer, height.status());
        if (!width.ok()) return SendStatus(writer, width.status());
        resize.set_height(*height);
        resize.set_width(*width);
        absl::StatusOr<v1::Empty> done =
            ContainerCall<v1::Empty>(resolver, &Stub::ExecResize, resize);
        if (!done.ok()) return SendStatus(writer, done.status());
        writer.Send(201, {}, "");
      }));
  BERTH_RETURN_IF_ERROR(router.Add(
      "GET", "/exec/{id}/json",
      [resolver](Request& request, ResponseWriter& writer) {
        v1::ExecRef ref;
        ref.set_exec_id(request.Param("id"));
        absl::StatusOr<v1::ExecDetail> detail =
            ContainerCall<v1::ExecDetail>(resolver, &Stub::ExecInspect, ref);
        if (!detail.ok()) return SendStatus(writer, detail.status());
        writer.SendJson(200, ExecInspectJson(*detail));
      }));
  return absl::OkStatus();
}

}  // namespace berth::gateway
