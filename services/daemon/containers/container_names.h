#ifndef BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_NAMES_H_
#define BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_NAMES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace berth {

// 64 random hex digits: a container's or an exec instance's ID.
std::string RandomId();

// Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+, with an optional leading "/".
absl::Status ValidateContainerName(absl::string_view name);

// "adjective_surname", as docker names containers nobody named, with
// `attempt` random digits appended after that many collisions.
std::string RandomContainerName(int attempt = 0);

}  // namespace berth

#endif  // BERTH_SERVICES_DAEMON_CONTAINERS_CONTAINER_NAMES_H_
