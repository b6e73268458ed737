#ifndef BERTH_SERVICES_DAEMON_IMAGES_IMAGE_SERVICE_H_
#define BERTH_SERVICES_DAEMON_IMAGES_IMAGE_SERVICE_H_

#include <vector>

#include "lib/job/handler_registry.h"
#include "proto/image.grpc.pb.h"
#include "services/daemon/images/image_core.h"

namespace berth {

// gRPC adapter over ImageCore.
class ImageServiceImpl final : public v1::ImageService::Service {
 public:
  explicit ImageServiceImpl(ImageCore* core) : core_(core) {}

  grpc::Status ListImages(grpc::ServerContext*,
                          const v1::ListImagesRequest* request,
                          v1::ListImagesReply* reply) override;
  grpc::Status InspectImage(grpc::ServerContext*,
                            const v1::ImageRequest* request,
                            v1::ImageDetail* reply) override;
  grpc::Status History(grpc::ServerContext*, const v1::ImageRequest* request,
                       v1::HistoryReply* reply) override;
  grpc::Status Tag(grpc::ServerContext*, const v1::TagRequest* request,
                   v1::TagReply* reply) override;
  grpc::Status RemoveImage(grpc::ServerContext*,
                           const v1::RemoveImageRequest* request,
                           v1::RemoveImageReply* reply) override;
  grpc::Status Load(grpc::ServerContext*,
                    grpc::ServerReaderWriter<v1::ProgressMessage,
                                             v1::LoadInput>* stream) override;
  grpc::Status Export(grpc::ServerContext*, const v1::ExportRequest* request,
                      grpc::ServerWriter<v1::DataChunk>* writer) override;
  grpc::Status Import(grpc::ServerContext*,
                      grpc::ServerReader<v1::ImportInput>* reader,
                      v1::ImportReply* reply) override;
  grpc::Status DiskUsage(grpc::ServerContext*, const v1::DiskUsageRequest*,
                         v1::DiskUsageReply* reply) override;
  grpc::Status StoreInfo(grpc::ServerContext*, const v1::StoreInfoRequest*,
                         v1::StoreInfoReply* reply) override;

 private:
  ImageCore* core_;
};

// The seed's image jobs over the same ImageCore: images, image_inspect,
// history, tag, image_delete, load, image_export, import.
std::vector<HandlerSpec> ImageJobs(ImageCore* core);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_IMAGES_IMAGE_SERVICE_H_
