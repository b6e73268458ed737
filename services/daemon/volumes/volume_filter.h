#ifndef BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_FILTER_H_
#define BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_FILTER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/map.h"
#include "proto/engine.pb.h"
#include "proto/volume.pb.h"

namespace berth {

// Docker marks the volumes it makes up a name for (`docker volume create`
// without a name, `docker run -v /path`) with this label, value "". Prune
// without all=true removes only volumes that carry it.
inline constexpr char kAnonymousVolumeLabel[] = "com.docker.volume.anonymous";

// The `filters` of `docker volume ls` and `docker volume prune`, with
// dockerd's meaning: values of one key are alternatives (OR), except
// label, whose values must all match; different keys must all hold.
class VolumeFilter {
 public:
  using Filters = google::protobuf::Map<std::string, v1::FilterValues>;

  // dangling (true/false/1/0), driver, label, name. Otherwise
  // InvalidArgument "invalid filter 'KEY'".
  static absl::StatusOr<VolumeFilter> ForList(const Filters& filters);

  // label, label!, all (a Go boolean). Selects only unused volumes, and
  // without all=true only anonymous ones.
  static absl::StatusOr<VolumeFilter> ForPrune(const Filters& filters);

  // `in_use`: some container holds the volume.
  bool Matches(const v1::Volume& volume, bool in_use) const;

 private:
  VolumeFilter() = default;

  std::optional<bool> dangling_;
  std::vector<std::string> drivers_;
  std::vector<std::string> names_;
  std::vector<std::string> labels_;
  std::vector<std::string> not_labels_;
  bool anonymous_only_ = false;
};

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_VOLUMES_VOLUME_FILTER_H_
