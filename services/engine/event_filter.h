#ifndef BERTH_SERVICES_ENGINE_EVENT_FILTER_H_
#define BERTH_SERVICES_ENGINE_EVENT_FILTER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "google/protobuf/map.h"
#include "proto/engine.pb.h"

namespace berth {

// Docker's event filters: values of one key are alternatives (OR), keys
// combine with AND.
class EventFilter {
 public:
  static absl::StatusOr<EventFilter> Create(
      const google::protobuf::Map<std::string, v1::FilterValues>& filters);

  bool Matches(const v1::Event& event) const;

 private:
  absl::flat_hash_map<std::string, std::vector<std::string>> filters_;
};

}  // namespace berth

#endif  // BERTH_SERVICES_ENGINE_EVENT_FILTER_H_
