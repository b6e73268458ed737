#include "gateway/image_routes.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/body_upload.h"
#include "gateway/http_status.h"
#include "grpcpp/client_context.h"
#include "lib/base/status_macros.h"
#include "lib/docker/filters.h"
#include "lib/docker/image_json.h"
#include "lib/rpc/status.h"
#include "proto/image.grpc.pb.h"

namespace berth::gateway {
namespace {

absl::StatusOr<std::unique_ptr<v1::ImageService::Stub>> Stub(
    ServiceResolver* resolver) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                         resolver->ChannelFor("images"));
  return v1::ImageService::NewStub(channel);
}

// A unary call to the image service; removals and such may take long,
// so no deadline.
template <typename Reply, typename Call>
absl::StatusOr<Reply> Unary(ServiceResolver* resolver, Call call) {
  return CallOwner<v1::ImageService, Reply>(resolver, "images", call);
}

void ListImages(ServiceResolver* resolver, Request& request,
                ResponseWriter& writer) {
  v1::ListImagesRequest list;
  list.set_all(request.QueryBool("all"));
  list.set_digests(request.QueryBool("digests"));
  absl::Status filters =
      ParseDockerFilters(request.Query("filters"), list.mutable_filters());
  if (!filters.ok()) return SendStatus(writer, filters);
  absl::StatusOr<v1::ListImagesReply> reply = Unary<v1::ListImagesReply>(
      resolver, [&](v1::ImageService::Stub& stub, grpc::ClientContext* context,
                    v1::ListImagesReply* out) {
        return stub.ListImages(context, list, out);
      });
  if (!reply.ok()) return SendStatus(writer, reply.status());
  nlohmann::json out = nlohmann::json::array();
  for (const v1::ImageSummary& image : reply->images()) {
    out.push_back(ImageSummaryJson(image));
  }
  writer.SendJson(200, out);
}

template <typename Reply, typename Call, typename ToJson>
void ByName(ServiceResolver* resolver, Request& request, ResponseWriter& writer,
            Call call, ToJson to_json) {
  v1::ImageRequest image;
  image.set_name(request.Param("name"));
  absl::StatusOr<Reply> reply = Unary<Reply>(
      resolver, [&](v1::ImageService::Stub& stub, grpc::ClientContext* context,
                    Reply* out) { return call(stub, context, image, out); });
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(200, to_json(*reply));
}

void Tag(ServiceResolver* resolver, Request& request, ResponseWriter& writer) {
  v1::TagRequest tag;
  tag.set_source(request.Param("name"));
  tag.set_repo(request.Query("repo"));
  tag.set_tag(request.Query("tag"));
  absl::StatusOr<v1::TagReply> reply = Unary<v1::TagReply>(
      resolver, [&](v1::ImageService::Stub& stub, grpc::ClientContext* context,
                    v1::TagReply* out) { return stub.Tag(context, tag, out); });
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.Send(201, {}, "");
}

void Remove(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  v1::RemoveImageRequest remove;
  remove.set_name(request.Param("name"));
  remove.set_force(request.QueryBool("force"));
  remove.set_no_prune(request.QueryBool("noprune"));
  absl::StatusOr<v1::RemoveImageReply> reply = Unary<v1::RemoveImageReply>(
      resolver, [&](v1::ImageService::Stub& stub, grpc::ClientContext* context,
                    v1::RemoveImageReply* out) {
        return stub.RemoveImage(context, remove, out);
      });
  if (!reply.ok()) return SendStatus(writer, reply.status());
  writer.SendJson(200, DeleteItemsJson(*reply));
}

void Load(ServiceResolver* resolver, Request& request, ResponseWriter& writer) {
  absl::StatusOr<std::unique_ptr<v1::ImageService::Stub>> stub = Stub(resolver);
  if (!stub.ok()) return SendStatus(writer, stub.status());
  grpc::ClientContext context;
  auto stream = (*stub)->Load(&context);
  v1::LoadInput options;
  options.mutable_options()->set_quiet(request.QueryBool("quiet"));
  absl::Status uploaded = UploadBody(request, context, stream, options);
  if (!uploaded.ok()) return SendStatus(writer, uploaded);
  // Progress streams back; an error before any message is a plain error
  // response, one after it goes in the stream as Docker's errorDetail.
  v1::ProgressMessage message;
  bool started = false;
  while (stream->Read(&message)) {
    if (!started) {
      started = writer.StartStream(200, {{"Content-Type", "application/json"}});
    }
    writer.Write(JsonBody(ProgressJson(message)));
  }
  absl::Status status = FromGrpcStatus(stream->Finish());
  if (!started) {
    if (!status.ok()) return SendStatus(writer, status);
    writer.StartStream(200, {{"Content-Type", "application/json"}});
  } else if (!status.ok()) {
    writer.Write(JsonBody({{"errorDetail", {{"message", status.message()}}},
                           {"error", status.message()}}));
  }
  writer.EndStream();
}

void Save(ServiceResolver* resolver, std::vector<std::string> names,
          ResponseWriter& writer) {
  absl::StatusOr<std::unique_ptr<v1::ImageService::Stub>> stub = Stub(resolver);
  if (!stub.ok()) return SendStatus(writer, stub.status());
  grpc::ClientContext context;
  v1::ExportRequest request;
  for (std::string& name : names) request.add_names(std::move(name));
  auto stream = (*stub)->Export(&context, request);
  v1::DataChunk chunk;
  bool started = false;
  while (stream->Read(&chunk)) {
    if (!started) {
      started =
          writer.StartStream(200, {{"Content-Type", "application/x-tar"}});
    }
    if (!writer.Write(chunk.data())) {
      context.TryCancel();
      break;
    }
  }
  absl::Status status = FromGrpcStatus(stream->Finish());
  if (!started) {
    if (!status.ok()) return SendStatus(writer, status);
    writer.StartStream(200, {{"Content-Type", "application/x-tar"}});
  }
  // A failure midway can only cut the stream short: the client sees a
  // truncated tar, as with dockerd.
  writer.EndStream();
}

void Create(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  if (request.Query("fromSrc").empty()) {
    return writer.SendError(
        501,
        "pulling images is not available yet: berth has no registry client");
  }
  if (request.Query("fromSrc") != "-") {
    return writer.SendError(400,
                            "importing from a URL is not supported; send the "
                            "archive with fromSrc=-");
  }
  absl::StatusOr<std::unique_ptr<v1::ImageService::Stub>> stub = Stub(resolver);
  if (!stub.ok()) return SendStatus(writer, stub.status());
  grpc::ClientContext context;
  v1::ImportReply reply;
  auto stream = (*stub)->Import(&context, &reply);
  v1::ImportInput options;
  options.mutable_options()->set_repo(request.Query("repo"));
  options.mutable_options()->set_tag(request.Query("tag"));
  options.mutable_options()->set_message(request.Query("message"));
  auto changes = request.query.find("changes");
  if (changes != request.query.end()) {
    for (const std::string& change : changes->second) {
      options.mutable_options()->add_changes(change);
    }
  }
  absl::Status uploaded = UploadBody(request, context, stream, options);
  if (!uploaded.ok()) return SendStatus(writer, uploaded);
  absl::Status status = FromGrpcStatus(stream->Finish());
  if (!status.ok()) return SendStatus(writer, status);
  writer.StartStream(200, {{"Content-Type", "application/json"}});
  writer.Write(JsonBody({{"status", reply.id()}}));
  writer.EndStream();
}

}  // namespace

absl::Status AddImageRoutes(Router& router, ServiceResolver* resolver) {
  BERTH_RETURN_IF_ERROR(
      router.Add("GET", "/images/json",
                 [resolver](Request& request, ResponseWriter& writer) {
                   ListImages(resolver, request, writer);
                 }));
  BERTH_RETURN_IF_ERROR(router.Add(
      "GET", "/images/{name*}/json",
      [resolver](Request& request, ResponseWriter& writer) {
        ByName<v1::ImageDetail>(
            resolver, request, writer,
            [](v1::ImageService::Stub& stub, grpc::ClientContext* context,
               const v1::ImageRequest& in, v1::ImageDetail* out) {
              return stub.InspectImage(context, in, out);
            },
            ImageInspectJson);
      }));
  BERTH_RETURN_IF_ERROR(router.Add(
      "GET", "/images/{name*}/history",
      [resolver](Request& request, ResponseWriter& writer) {
        ByName<v1::HistoryReply>(
            resolver, request, writer,
            [](v1::ImageService::Stub& stub, grpc::ClientContext* context,
               const v1::ImageRequest& in, v1::HistoryReply* out) {
              return stub.History(context, in, out);
            },
            HistoryJson);
      }));
  BERTH_RETURN_IF_ERROR(
      router.Add("POST", "/images/{name*}/tag",
                 [resolver](Request& request, ResponseWriter& writer) {
                   Tag(resolver, request, writer);
                 }));
  BERTH_RETURN_IF_ERROR(
      router.Add("DELETE", "/images/{name*}",
                 [resolver](Request& request, ResponseWriter& writer) {
                   Remove(resolver, request, writer);
                 }));
  BERTH_RETURN_IF_ERROR(router.Add(
      "POST", "/images/load",
      [resolver](Request& request, ResponseWriter& writer) {
        Load(resolver, request, writer);
      },
      /*stream_body=*/true));
  BERTH_RETURN_IF_ERROR(router.Add(
      "GET", "/images/get",
      [resolver](Request& request, ResponseWriter& writer) {
        auto names = request.query.find("names");
        Save(resolver,
             names == request.query.end() ? std::vector<std::string>{}
                                          : names->second,
             writer);
      }));
  BERTH_RETURN_IF_ERROR(
      router.Add("GET", "/images/{name*}/get",
                 [resolver](Request& request, ResponseWriter& writer) {
                   Save(resolver, {request.Param("name")}, writer);
                 }));
  BERTH_RETURN_IF_ERROR(router.Add(
      "POST", "/images/create",
      [resolver](Request& request, ResponseWriter& writer) {
        Create(resolver, request, writer);
      },
      /*stream_body=*/true));
  return absl::OkStatus();
}

}  // namespace berth::gateway
