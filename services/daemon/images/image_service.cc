#include "services/daemon/images/image_service.h"

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/docker/filters.h"
#include "lib/docker/image_json.h"
#include "lib/job/job_output.h"
#include "lib/rpc/status.h"
#include "services/daemon/streams/grpc_bytes.h"
#include "services/daemon/streams/job_bytes.h"

namespace berth {

grpc::Status ImageServiceImpl::ListImages(grpc::ServerContext*,
                                          const v1::ListImagesRequest* request,
                                          v1::ListImagesReply* reply) {
  return AnswerWith(core_->List(*request), reply);
}

grpc::Status ImageServiceImpl::InspectImage(grpc::ServerContext*,
                                            const v1::ImageRequest* request,
                                            v1::ImageDetail* reply) {
  return AnswerWith(core_->Inspect(request->name()), reply);
}

grpc::Status ImageServiceImpl::History(grpc::ServerContext*,
                                       const v1::ImageRequest* request,
                                       v1::HistoryReply* reply) {
  return AnswerWith(core_->History(request->name()), reply);
}

grpc::Status ImageServiceImpl::Tag(grpc::ServerContext*,
                                   const v1::TagRequest* request,
                                   v1::TagReply* reply) {
  return AnswerWith(core_->Tag(*request), reply);
}

grpc::Status ImageServiceImpl::RemoveImage(
    grpc::ServerContext*, const v1::RemoveImageRequest* request,
    v1::RemoveImageReply* reply) {
  return AnswerWith(core_->Remove(*request), reply);
}

grpc::Status ImageServiceImpl::Load(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<v1::ProgressMessage, v1::LoadInput>* stream) {
  v1::LoadInput first;
  if (!stream->Read(&first) || !first.has_options()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a load must start with its options");
  }
  bool quiet = first.options().quiet();
  StreamSource<grpc::ServerReaderWriter<v1::ProgressMessage, v1::LoadInput>,
               v1::LoadInput>
      source(stream);
  return ToGrpcStatus(
      core_->Load(source, [stream, quiet](const v1::ProgressMessage& message) {
        if (!quiet || !message.stream().empty()) stream->Write(message);
      }));
}

grpc::Status ImageServiceImpl::Export(
    grpc::ServerContext*, const v1::ExportRequest* request,
    grpc::ServerWriter<v1::DataChunk>* writer) {
  ChunkSink sink([writer](std::string data) {
    v1::DataChunk chunk;
    chunk.set_data(std::move(data));
    return writer->Write(chunk);
  });
  absl::Status status =
      core_->Save({request->names().begin(), request->names().end()}, sink);
  if (status.ok()) status = sink.Flush();
  return ToGrpcStatus(status);
}

grpc::Status ImageServiceImpl::Import(
    grpc::ServerContext*, grpc::ServerReader<v1::ImportInput>* reader,
    v1::ImportReply* reply) {
  v1::ImportInput first;
  if (!reader->Read(&first) || !first.has_options()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "an import must start with its options");
  }
  StreamSource<grpc::ServerReader<v1::ImportInput>, v1::ImportInput> source(
      reader);
  return AnswerWith(core_->Import(source, first.options()), reply);
}

grpc::Status ImageServiceImpl::DiskUsage(grpc::ServerContext*,
                                         const v1::DiskUsageRequest*,
                                         v1::DiskUsageReply* reply) {
  return AnswerWith(core_->DiskUsage(), reply);
}

grpc::Status ImageServiceImpl::StoreInfo(grpc::ServerContext*,
                                         const v1::StoreInfoRequest*,
                                         v1::StoreInfoReply* reply) {
  *reply = core_->StoreInfo();
  return grpc::Status::OK;
}

std::vector<HandlerSpec> ImageJobs(ImageCore* core) {
  auto images = [core](Job& job) -> absl::Status {
    v1::ListImagesRequest request;
    request.set_all(job.env().GetBool("all"));
    request.set_digests(job.env().GetBool("digests"));
    BERTH_RETURN_IF_ERROR(ParseDockerFilters(job.env().Get("filters"),
                                             request.mutable_filters()));
    BERTH_ASSIGN_OR_RETURN(v1::ListImagesReply reply, core->List(request));
    nlohmann::json out = nlohmann::json::array();
    for (const v1::ImageSummary& image : reply.images()) {
      out.push_back(ImageSummaryJson(image));
    }
    PrintJson(job, out);
    return absl::OkStatus();
  };
  auto inspect = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "image_inspect NAME"));
    BERTH_ASSIGN_OR_RETURN(v1::ImageDetail detail,
                           core->Inspect(job.args()[0]));
    PrintJson(job, ImageInspectJson(detail));
    return absl::OkStatus();
  };
  auto history = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "history NAME"));
    BERTH_ASSIGN_OR_RETURN(v1::HistoryReply reply,
                           core->History(job.args()[0]));
    PrintJson(job, HistoryJson(reply));
    return absl::OkStatus();
  };
  auto tag = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 2, 3, "tag NAME REPO [TAG]"));
    v1::TagRequest request;
    request.set_source(job.args()[0]);
    request.set_repo(job.args()[1]);
    if (job.args().size() == 3) request.set_tag(job.args()[2]);
    BERTH_ASSIGN_OR_RETURN(v1::TagReply reply, core->Tag(request));
    job.Stdout().Write(reply.reference() + "\n");
    return absl::OkStatus();
  };
  auto remove = [core](Job& job) -> absl::Status {
    BERTH_RETURN_IF_ERROR(NeedArgs(job, 1, 1, "image_delete NAME"));
    v1::RemoveImageRequest request;
    request.set_name(job.args()[0]);
    request.set_force(job.env().GetBool("force"));
    request.set_no_prune(job.env().GetBool("noprune"));
    BERTH_ASSIGN_OR_RETURN(v1::RemoveImageReply reply, core->Remove(request));
    PrintJson(job, DeleteItemsJson(reply));
    return absl::OkStatus();
  };
  auto load = [core](Job& job) -> absl::Status {
    JobStdinSource source(job);
    bool quiet = job.env().GetBool("quiet");
    return core->Load(source,
                      [&job, quiet](const v1::ProgressMessage& message) {
                        if (!quiet || !message.stream().empty())
                          PrintJson(job, ProgressJson(message));
                      });
  };
  auto save = [core](Job& job) -> absl::Status {
    ChunkSink sink([&job](std::string data) {
      job.Stdout().Write(data);
      return true;
    });
    BERTH_RETURN_IF_ERROR(core->Save(job.args(), sink));
    return sink.Flush();
  };
  auto import = [core](Job& job) -> absl::Status {
    v1::ImportOptions options;
    options.set_repo(job.env().Get("repo"));
    options.set_tag(job.env().Get("tag"));
    options.set_message(job.env().Get("message"));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> changes,
                           job.env().GetList("changes"));
    for (const std::string& change : changes) options.add_changes(change);
    JobStdinSource source(job);
    BERTH_ASSIGN_OR_RETURN(v1::ImportReply reply,
                           core->Import(source, options));
    job.Stdout().Write(reply.id() + "\n");
    return absl::OkStatus();
  };
  return {{"images", images},       {"image_inspect", inspect},
          {"history", history},     {"tag", tag},
          {"image_delete", remove}, {"load", load},
          {"image_export", save},   {"import", import}};
}

}  // namespace berth
