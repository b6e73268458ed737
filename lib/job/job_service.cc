#include "lib/job/job_service.h"

#include <thread>

#include "absl/synchronization/mutex.h"
#include "lib/job/chunk_queue.h"
#include "lib/rpc/status.h"

namespace berth {
namespace {

using Stream = grpc::ServerReaderWriter<v1::JobOutput, v1::JobInput>;

// gRPC allows one writer at a time; stdout and stderr share the stream.
class StreamOutput : public OutputStream {
 public:
  StreamOutput(Stream* stream, absl::Mutex* mu, bool is_stderr)
      : stream_(stream), mu_(mu), is_stderr_(is_stderr) {}

  void Write(absl::string_view data) override {
    constexpr size_t kMaxChunk = 1 << 20;
    while (!data.empty()) {
      absl::string_view part = data.substr(0, kMaxChunk);
      data.remove_prefix(part.size());
      v1::JobOutput out;
      if (is_stderr_) {
        out.set_stderr(part.data(), part.size());
      } else {
        out.set_stdout(part.data(), part.size());
      }
      absl::MutexLock lock(mu_);
      stream_->Write(out);
    }
  }

 private:
  Stream* stream_;
  absl::Mutex* mu_;
  bool is_stderr_;
};

}  // namespace

grpc::Status JobServiceImpl::Run(grpc::ServerContext* context, Stream* stream) {
  v1::JobInput first;
  if (!stream->Read(&first) || !first.has_spec()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a job call must start with its JobSpec");
  }
  const v1::JobSpec& spec = first.spec();
  absl::Mutex write_mu;
  StreamOutput out(stream, &write_mu, false);
  StreamOutput err(stream, &write_mu, true);
  ChunkQueue stdin_queue;
  std::thread pump;
  if (spec.attach_stdin()) {
    pump = std::thread([stream, &stdin_queue] {
      v1::JobInput in;
      while (stream->Read(&in)) {
        if (in.has_stdin() && !stdin_queue.Push(in.stdin())) break;
      }
      stdin_queue.Close();
      // Drain what the caller still sends until it sees the exit message.
      while (stream->Read(&in)) {
      }
    });
  } else {
    stdin_queue.Close();
  }
  Job job(spec.name(), {spec.args().begin(), spec.args().end()},
          Env({spec.env().begin(), spec.env().end()}), &out, &err,
          &stdin_queue);
  job.set_cancelled([context] { return context->IsCancelled(); });
  absl::Status status = dispatcher_->Run(job);
  if (pump.joinable()) {
    stdin_queue.Abandon();
    v1::JobOutput exit;
    exit.mutable_exit()->set_code(static_cast<int>(status.code()));
    exit.mutable_exit()->set_message(std::string(status.message()));
    {
      absl::MutexLock lock(&write_mu);
      stream->Write(exit);
    }
    pump.join();
  }
  return ToGrpcStatus(status);
}

}  // namespace berth
