#ifndef BERTH_LIB_DOCKER_IMAGE_JSON_H_
#define BERTH_LIB_DOCKER_IMAGE_JSON_H_

#include "nlohmann/json.hpp"
#include "proto/image.pb.h"

namespace berth {

// Docker Engine API shapes of the image endpoints, shared by the gateway
// and the image jobs' output.
nlohmann::json ImageSummaryJson(const v1::ImageSummary& image);
nlohmann::json ImageInspectJson(const v1::ImageDetail& detail);
nlohmann::json HistoryJson(const v1::HistoryReply& history);
nlohmann::json DeleteItemsJson(const v1::RemoveImageReply& reply);
// One message of Docker's JSON progress stream.
nlohmann::json ProgressJson(const v1::ProgressMessage& message);
nlohmann::json DiskUsageJson(const v1::DiskUsageReply& usage);

}  // namespace berth

#endif  // BERTH_LIB_DOCKER_IMAGE_JSON_H_
