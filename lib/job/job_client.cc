#include "lib/job/job_client.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "grpcpp/client_context.h"
#include "lib/rpc/status.h"
#include "proto/job.grpc.pb.h"

namespace berth {

absl::Status RunRemoteJob(const std::shared_ptr<grpc::Channel>& channel,
                          const v1::JobSpec& spec, InputStream* in,
                          OutputStream* out, OutputStream* err,
                          std::function<bool()> cancelled) {
  auto stub = v1::JobService::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->Run(&context);
  v1::JobInput first;
  *first.mutable_spec() = spec;
  if (!stream->Write(first)) return FromGrpcStatus(stream->Finish());

  std::atomic<bool> exited{false};
  std::thread writer;
  if (spec.attach_stdin()) {
    writer = std::thread([&] {
      std::string chunk;
      while (!exited && in->Read(&chunk)) {
        v1::JobInput message;
        message.set_stdin(std::move(chunk));
        if (!stream->Write(message)) break;
      }
      stream->WritesDone();
    });
  } else {
    stream->WritesDone();
  }

  absl::Notification finished;
  std::thread watcher;
  if (cancelled) {
    watcher = std::thread([&] {
      while (
          !finished.WaitForNotificationWithTimeout(absl::Milliseconds(200))) {
        if (cancelled()) {
          context.TryCancel();
          return;
        }
      }
    });
  }

  v1::JobOutput message;
  while (stream->Read(&message)) {
    switch (message.kind_case()) {
      case v1::JobOutput::kStdout:
        out->Write(message.stdout());
        break;
      case v1::JobOutput::kStderr:
        err->Write(message.stderr());
        break;
      case v1::JobOutput::kExit:
        // The job is done with its stdin: release a writer blocked on it.
        exited = true;
        in->Abandon();
        break;
      default:
        break;
    }
  }
  finished.Notify();
  if (watcher.joinable()) watcher.join();
  if (writer.joinable()) writer.join();
  return FromGrpcStatus(stream->Finish());
}

Handler MakeForwardingHandler(std::shared_ptr<grpc::Channel> channel) {
  return [channel = std::move(channel)](Job& job) {
    v1::JobSpec spec;
    spec.set_name(job.name());
    for (const std::string& arg : job.args()) spec.add_args(arg);
    for (const std::string& entry : job.env().entries()) spec.add_env(entry);
    // Whatever stdin the job has is passed on; an empty one ends at once.
    spec.set_attach_stdin(true);
    return RunRemoteJob(channel, spec, &job.Stdin(), &job.Stdout(),
                        &job.Stderr(), [&job] { return job.Cancelled(); });
  };
}

}  // namespace berth
