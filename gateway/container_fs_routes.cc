#include "gateway/container_fs_routes.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/body_upload.h"
#include "gateway/container_call.h"
#include "gateway/http_status.h"
#include "glog/logging.h"
#include "grpcpp/client_context.h"
#include "lib/base/status_macros.h"
#include "lib/docker/container_json.h"
#include "lib/rpc/status.h"
#include "nlohmann/json.hpp"
#include "proto/container.grpc.pb.h"

namespace berth::gateway {
namespace {

using Stub = ContainerStub;

constexpr char kPathStatHeader[] = "X-Docker-Container-Path-Stat";
constexpr char kTarType[] = "application/x-tar";

// ?path=, which every archive route needs (dockerd: 400).
absl::StatusOr<std::string> ArchivePath(const Request& request) {
  std::string path = request.Query("path");
  if (path.empty()) {
    return absl::InvalidArgumentError("bad parameter: path cannot be empty");
  }
  return path;
}

// After the first message went out: the rest of the stream's data, then
// the end of the response. A failure midway can only cut the tar short,
// as with dockerd.
template <typename Chunk>
void SendRest(grpc::ClientReader<Chunk>& reader, grpc::ClientContext& context,
              ResponseWriter& writer) {
  Chunk chunk;
  while (reader.Read(&chunk)) {
    if (!writer.Write(chunk.data())) {
      context.TryCancel();
      break;
    }
  }
  absl::Status status = FromGrpcStatus(reader.Finish());
  if (!status.ok()) VLOG(1) << "tar stream cut short: " << status;
  writer.EndStream();
}

// Sends the error a stream ended with before its first message.
template <typename Chunk>
void SendFinished(grpc::ClientReader<Chunk>& reader, ResponseWriter& writer) {
  absl::Status status = FromGrpcStatus(reader.Finish());
  if (status.ok()) {
    status = absl::InternalError("the container service sent nothing");
  }
  SendStatus(writer, status);
}

void Changes(ServiceResolver* resolver, Request& request,
             ResponseWriter& writer) {
  v1::ContainerRef ref;
  ref.set_id(request.Param("name"));
  absl::StatusOr<v1::ChangesReply> reply =
      ContainerCall<v1::ChangesReply>(resolver, &Stub::Changes, ref);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(200, ChangesJson(*reply));
}

void Export(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  absl::StatusOr<std::unique_ptr<Stub>> stub = NewContainerStub(resolver);
  if (!stub.ok()) return SendStatus(writer, stub.status());
  v1::ContainerRef ref;
  ref.set_id(request.Param("name"));
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::ContainerData>> reader =
      (*stub)->Export(&context, ref);
  // The first chunk decides between an error answer and the tar.
  v1::ContainerData first;
  if (!reader->Read(&first)) return SendFinished(*reader, writer);
  if (!writer.StartStream(200, {{"Content-Type", kTarType}}) ||
      !writer.Write(first.data())) {
    context.TryCancel();
    reader->Finish();
    return;
  }
  SendRest(*reader, context, writer);
}

void Stat(ServiceResolver* resolver, Request& request, ResponseWriter& writer) {
  v1::ArchivePathRequest stat;
  stat.set_id(request.Param("name"));
  absl::StatusOr<std::string> path = ArchivePath(request);
  if (!path.ok()) return SendStatus(writer, path.status());
  stat.set_path(*path);
  absl::StatusOr<v1::PathStat> reply =
      ContainerCall<v1::PathStat>(resolver, &Stub::ArchiveStat, stat);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.Send(200, {{kPathStatHeader, reply->header()}}, "");
}

void Get(ServiceResolver* resolver, Request& request, ResponseWriter& writer) {
  v1::ArchivePathRequest get;
  get.set_id(request.Param("name"));
  absl::StatusOr<std::string> path = ArchivePath(request);
  if (!path.ok()) return SendStatus(writer, path.status());
  get.set_path(*path);
  absl::StatusOr<std::unique_ptr<Stub>> stub = NewContainerStub(resolver);
  if (!stub.ok()) return SendStatus(writer, stub.status());
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::ArchiveChunk>> reader =
      (*stub)->ArchiveGet(&context, get);
  // The stat comes first: it goes in a header, before the tar.
  v1::ArchiveChunk first;
  if (!reader->Read(&first)) return SendFinished(*reader, writer);
  if (!first.has_stat()) {
    context.TryCancel();
    reader->Finish();
    return SendStatus(
        writer, absl::InternalError("the container service sent the tar of "
                                    "the path before its stat"));
  }
  if (!writer.StartStream(200, {{"Content-Type", kTarType},
                                {kPathStatHeader, first.stat().header()}})) {
    context.TryCancel();
    reader->Finish();
    return;
  }
  SendRest(*reader, context, writer);
}

// Reads what is left of a streamed body, so that a client still sending
// gets the answer instead of a broken pipe.
void DrainBody(Request& request) {
  std::string buffer(kUploadChunk, '\0');
  absl::StatusOr<size_t> n;
  do {
    n = request.read_body(buffer.data(), buffer.size());
  } while (n.ok() && *n > 0);
}

void Put(ServiceResolver* resolver, Request& request, ResponseWriter& writer) {
  absl::StatusOr<std::string> path = ArchivePath(request);
  if (!path.ok()) {
    DrainBody(request);
    return SendStatus(writer, path.status());
  }
  absl::StatusOr<std::unique_ptr<Stub>> stub = NewContainerStub(resolver);
  if (!stub.ok()) {
    DrainBody(request);
    return SendStatus(writer, stub.status());
  }
  grpc::ClientContext context;
  v1::Empty reply;
  std::unique_ptr<grpc::ClientWriter<v1::ArchivePutInput>> stream =
      (*stub)->ArchivePut(&context, &reply);
  v1::ArchivePutInput options;
  v1::ArchivePutOptions* put = options.mutable_options();
  put->set_id(request.Param("name"));
  put->set_path(*path);
  put->set_no_overwrite_dir_non_dir(request.QueryBool("noOverwriteDirNonDir"));
  put->set_copy_uid_gid(request.QueryBool("copyUIDGID"));
  absl::Status uploaded = UploadBody(request, context, stream, options);
  if (!uploaded.ok()) return SendStatus(writer, uploaded);
  absl::Status status = FromGrpcStatus(stream->Finish());
  if (!status.ok()) return SendStatus(writer, status);
  writer.Send(200, {}, "");
}

void Commit(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  v1::CommitRequest commit;
  commit.set_id(request.Query("container"));
  commit.set_repo(request.Query("repo"));
  commit.set_tag(request.Query("tag"));
  commit.set_comment(request.Query("comment"));
  commit.set_author(request.Query("author"));
  // Pausing is the default since API 1.13 (older ones are not served).
  commit.set_pause(request.Query("pause").empty() ||
                   request.QueryBool("pause"));
  auto changes = request.query.find("changes");
  if (changes != request.query.end()) {
    for (const std::string& change : changes->second) {
      commit.add_changes(change);
    }
  }
  // The body is a container Config, or nothing (the docker CLI sends
  // none): checked here, so that a bad one is a 400 before any work.
  if (!request.body.empty()) {
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !(body.is_object() || body.is_null())) {
      return writer.SendError(400, "invalid JSON in the request body");
    }
    commit.set_config_json(request.body);
  }
  absl::StatusOr<v1::CommitReply> reply =
      ContainerCall<v1::CommitReply>(resolver, &Stub::Commit, commit);
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(201, {{"Id", reply->id()}});
}

}  // namespace

absl::Status AddContainerFsRoutes(Router& router, ServiceResolver* resolver) {
  auto route = [&](const char* method, const char* path,
                   ResolverHandler handler, bool stream_body = false) {
    return AddResolverRoute(router, resolver, method, path, handler,
                            stream_body);
  };
  BERTH_RETURN_IF_ERROR(route("GET", "/containers/{name}/changes", Changes));
  BERTH_RETURN_IF_ERROR(route("GET", "/containers/{name}/export", Export));
  BERTH_RETURN_IF_ERROR(route("HEAD", "/containers/{name}/archive", Stat));
  BERTH_RETURN_IF_ERROR(route("GET", "/containers/{name}/archive", Get));
  // A tar of any size: streamed into the daemon as it arrives.
  BERTH_RETURN_IF_ERROR(route("PUT", "/containers/{name}/archive", Put,
                              /*stream_body=*/true));
  BERTH_RETURN_IF_ERROR(route("POST", "/commit", Commit));
  return absl::OkStatus();
}

}  // namespace berth::gateway
