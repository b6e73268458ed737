#include "lib/job/engine_registration.h"

#include <algorithm>

#include "glog/logging.h"
#include "lib/rpc/channels.h"
#include "proto/job.grpc.pb.h"

namespace berth {

EngineRegistration::EngineRegistration(std::string engine_target,
                                       v1::RegisterRequest request)
    : engine_target_(std::move(engine_target)), request_(std::move(request)) {}

EngineRegistration::~EngineRegistration() { Stop(); }

void EngineRegistration::Start() {
  thread_ = std::thread([this] { Loop(); });
}

bool EngineRegistration::WaitRegistered(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return registered_ || stopping_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return registered_;
}

void EngineRegistration::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void EngineRegistration::Loop() {
  auto stub = v1::Registry::NewStub(MakeChannel(engine_target_));
  absl::Duration backoff = absl::Milliseconds(50);
  while (true) {
    grpc::ClientContext context;
    context.set_wait_for_ready(true);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      context_ = &context;
    }
    auto reader = stub->Register(&context, request_);
    v1::RegisterEvent event;
    if (reader->Read(&event) && event.accepted()) {
      LOG(INFO) << request_.service() << ": registered "
                << request_.handlers_size() << " job(s) with the engine";
      backoff = absl::Milliseconds(50);
      {
        absl::MutexLock lock(&mu_);
        registered_ = true;
      }
      // The registration lives as long as this stream.
      while (reader->Read(&event)) {
      }
    }
    grpc::Status status = reader->Finish();
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      registered_ = false;
      context_ = nullptr;
      stopping = stopping_;
    }
    if (stopping) return;
    LOG(WARNING) << request_.service()
                 << ": registration with the engine ended ("
                 << status.error_message() << "); registering again";
    absl::MutexLock lock(&mu_);
    auto stop = [this]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop), backoff);
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

}  // namespace berth
