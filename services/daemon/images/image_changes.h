#ifndef BERTH_SERVICES_DAEMON_IMAGES_IMAGE_CHANGES_H_
#define BERTH_SERVICES_DAEMON_IMAGES_IMAGE_CHANGES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace berth {

// Applies `docker import --change` / `docker commit --change` lines, the
// Dockerfile instructions that only touch the config: CMD, ENTRYPOINT,
// ENV, EXPOSE, LABEL, USER, WORKDIR, VOLUME, STOPSIGNAL. `config` is the
// image config's "config" object.
absl::Status ApplyImageChanges(const std::vector<std::string>& changes,
                               nlohmann::json& config);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_IMAGES_IMAGE_CHANGES_H_
