#ifndef BERTH_LIB_JOB_ENGINE_REGISTRATION_H_
#define BERTH_LIB_JOB_ENGINE_REGISTRATION_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "proto/job.pb.h"

namespace berth {

// Keeps a service's handlers registered with the engine: registers, holds
// the registration stream open, and registers again whenever the stream
// breaks (the engine restarted), until Stop.
class EngineRegistration {
 public:
  EngineRegistration(std::string engine_target, v1::RegisterRequest request);
  ~EngineRegistration();

  void Start();
  // True once the engine has accepted the current registration.
  bool WaitRegistered(absl::Duration timeout);
  void Stop();

 private:
  void Loop();

  const std::string engine_target_;
  const v1::RegisterRequest request_;
  std::thread thread_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool registered_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace berth

#endif  // BERTH_LIB_JOB_ENGINE_REGISTRATION_H_
