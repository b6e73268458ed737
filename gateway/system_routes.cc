#include "gateway/system_routes.h"

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gateway/http_status.h"
#include "grpcpp/client_context.h"
#include "lib/base/status_macros.h"
#include "lib/docker/docker_json.h"
#include "lib/docker/filters.h"
#include "lib/docker/timestamp.h"
#include "lib/rpc/status.h"
#include "lib/version/version.h"
#include "proto/engine.grpc.pb.h"
#include "services/engine/events_protocol.h"

namespace berth::gateway {
namespace {

constexpr absl::Duration kRpcTimeout = absl::Seconds(30);

// Engine calls are quick; a stuck engine must not hold a request.
template <typename Reply, typename Call>
absl::StatusOr<Reply> CallEngine(ServiceResolver* resolver,
                                 const std::string& job, Call call) {
  return CallOwner<v1::Engine, Reply>(resolver, job, call, kRpcTimeout);
}

void Ping(Request& request, ResponseWriter& writer) {
  Headers headers = {
      {"Content-Type", "text/plain; charset=utf-8"},
      {"Cache-Control", "no-cache, no-store, must-revalidate"},
      {"Pragma", "no-cache"},
      {"Docker-Experimental", "false"},
      {"Ostype", "linux"},
      {"Builder-Version", "1"},
      {"Swarm", "inactive"},
  };
  writer.Send(200, headers, "OK");
}

absl::StatusOr<v1::EventsRequest> EventsRequestFrom(const Request& request) {
  v1::EventsRequest events;
  if (!request.Query("since").empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t since,
                           ParseDockerTimestamp(request.Query("since")));
    events.set_since_nano(since);
  }
  if (!request.Query("until").empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t until,
                           ParseDockerTimestamp(request.Query("until")));
    events.set_until_nano(until);
  }
  BERTH_RETURN_IF_ERROR(
      ParseDockerFilters(request.Query("filters"), events.mutable_filters()));
  return events;
}

// Reads the engine's event stream on a thread of its own, so the handler
// thread can notice a client that hung up while no event comes.
class EventPump {
 public:
  EventPump(std::shared_ptr<grpc::Channel> channel,
            const v1::EventsRequest& request)
      : stub_(v1::Engine::NewStub(std::move(channel))),
        reader_(stub_->Events(&context_, request)) {
    thread_ = std::thread([this] {
      reader_->WaitForInitialMetadata();
      {
        absl::MutexLock lock(&mu_);
        started_ =
            context_.GetServerInitialMetadata().count(kEventsStartedKey) > 0;
      }
      v1::Event event;
      while (reader_->Read(&event)) {
        absl::MutexLock lock(&mu_);
        queue_.push_back(event);
      }
      grpc::Status status = reader_->Finish();
      absl::MutexLock lock(&mu_);
      status_ = FromGrpcStatus(status);
      done_ = true;
    });
  }

  ~EventPump() {
    context_.TryCancel();
    thread_.join();
  }

  // Waits for the stream to start: the engine sends marked headers at
  // once, or fails (a bad filter) before any event.
  absl::Status WaitStarted() {
    absl::MutexLock lock(&mu_);
    auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return started_ || done_;
    };
    mu_.Await(absl::Condition(&settled));
    if (started_) return absl::OkStatus();
    return status_.ok() ? absl::UnavailableError("the event stream ended")
                        : status_;
  }

  // The next event, or false after `timeout` or at the end (see done()).
  bool Next(v1::Event* event, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return done_ || !queue_.empty();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (queue_.empty()) return false;
    *event = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }

  bool done() {
    absl::MutexLock lock(&mu_);
    return done_ && queue_.empty();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<v1::Engine::Stub> stub_;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::deque<v1::Event> queue_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

void Events(ServiceResolver* resolver, Request& request,
            ResponseWriter& writer) {
  absl::StatusOr<v1::EventsRequest> events = EventsRequestFrom(request);
  if (!events.ok()) return SendStatus(writer, events.status());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      resolver->ChannelFor("events");
  if (!channel.ok()) return SendStatus(writer, channel.status());
  EventPump pump(*channel, *events);
  absl::Status started = pump.WaitStarted();
  if (!started.ok()) return SendStatus(writer, started);
  if (!writer.StartStream(200, {{"Content-Type", "application/json"}})) return;
  while (!writer.ClientGone()) {
    v1::Event event;
    if (pump.Next(&event, absl::Milliseconds(200))) {
      if (!writer.Write(JsonBody(EventJson(event)))) return;
    } else if (pump.done()) {
      break;
    }
  }
  writer.EndStream();
}

}  // namespace

Headers DefaultHeaders() {
  return {{"Api-Version", kApiVersion},
          {"Server", absl::StrCat("berth/", kVersion, " (linux)")}};
}

absl::Status AddSystemRoutes(Router& router, ServiceResolver* resolver) {
  BERTH_RETURN_IF_ERROR(router.Add("GET", "/_ping", Ping));
  BERTH_RETURN_IF_ERROR(router.Add("HEAD", "/_ping", Ping));
  BERTH_RETURN_IF_ERROR(router.Add(
      "GET", "/version", [resolver](Request&, ResponseWriter& writer) {
        absl::StatusOr<v1::VersionInfo> version = CallEngine<v1::VersionInfo>(
            resolver, "version",
            [](v1::Engine::Stub& stub, grpc::ClientContext* context,
               v1::VersionInfo* reply) {
              return stub.Version(context, v1::VersionRequest(), reply);
            });
        if (!version.ok()) return SendStatus(writer, version.status());
        writer.SendJson(200, VersionJson(*version));
      }));
  BERTH_RETURN_IF_ERROR(
      router.Add("GET", "/info", [resolver](Request&, ResponseWriter& writer) {
        absl::StatusOr<v1::SystemInfo> info = CallEngine<v1::SystemInfo>(
            resolver, "info",
            [](v1::Engine::Stub& stub, grpc::ClientContext* context,
               v1::SystemInfo* reply) {
              return stub.Info(context, v1::InfoRequest(), reply);
            });
        if (!info.ok()) return SendStatus(writer, info.status());
        writer.SendJson(200, InfoJson(*info));
      }));
  BERTH_RETURN_IF_ERROR(router.Add(
      "GET", "/events", [resolver](Request& request, ResponseWriter& writer) {
        Events(resolver, request, writer);
      }));
  return absl::OkStatus();
}

}  // namespace berth::gateway
