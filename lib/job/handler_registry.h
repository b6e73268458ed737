#ifndef BERTH_LIB_JOB_HANDLER_REGISTRY_H_
#define BERTH_LIB_JOB_HANDLER_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "lib/job/job.h"

namespace berth {

using Handler = std::function<absl::Status(Job&)>;

struct HandlerSpec {
  std::string name;
  Handler handler;
  // Jobs the handler runs in turn: the handler is refused while one is
  // missing, with a message naming it.
  std::vector<std::string> depends_on;
};

struct CommandInfo {
  std::string name;
  std::string service;
  std::vector<std::string> depends_on;
};

// Job name -> handler, each name owned by one service. Thread-safe.
class HandlerRegistry {
 public:
  // Adds handlers owned by `service` all at once, or none of them:
  // AlreadyExists when a name is taken by another service, or appears twice.
  // A service registering again (it restarted) replaces its old set. The
  // token identifies this registration for Unregister.
  absl::StatusOr<uint64_t> RegisterService(const std::string& service,
                                           std::vector<HandlerSpec> specs);

  // One handler of `service`; AlreadyExists when the name is taken at all.
  absl::Status Register(const std::string& service, HandlerSpec spec);

  // Removes the handlers of registration `token` that were not replaced
  // by a later registration of the same service.
  void Unregister(const std::string& service, uint64_t token);

  // NotFound for a name nobody serves; FailedPrecondition when a job it
  // depends on is missing.
  absl::StatusOr<Handler> Lookup(const std::string& name) const;

  // Every registered name, sorted.
  std::vector<CommandInfo> Commands() const;

 private:
  struct Entry {
    std::string service;
    uint64_t token;
    HandlerSpec spec;
  };

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace berth

#endif  // BERTH_LIB_JOB_HANDLER_REGISTRY_H_
