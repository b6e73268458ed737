// grpc_run: times create + start + wait of a container straight through
// berth-daemon's ContainerService (no docker CLI, no gateway), for the
// containers benchmark. Prints one line per run: "create_ms start_ms
// wait_ms total_ms"; the container is removed after each run, untimed.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "gflags/gflags.h"
#include "grpcpp/grpcpp.h"
#include "lib/rpc/channels.h"
#include "proto/container.grpc.pb.h"

DEFINE_string(socket, "",
              "berth-daemon's gRPC socket (<exec-root>/daemon.sock)");
DEFINE_string(image, "", "the image to run");
DEFINE_string(network, "none", "the network mode");
DEFINE_int32(runs, 15, "how many containers to run one after another");

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

bool Check(const grpc::Status& status, const char* what) {
  if (status.ok()) return true;
  std::fprintf(stderr, "grpc_run: %s: %s\n", what,
               status.error_message().c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_socket.empty() || FLAGS_image.empty()) {
    std::fprintf(stderr, "usage: grpc_run --socket PATH --image IMAGE\n");
    return 2;
  }
  auto stub = berth::v1::ContainerService::NewStub(grpc::CreateChannel(
      berth::UnixTarget(FLAGS_socket), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < FLAGS_runs; ++i) {
    berth::v1::CreateContainerRequest create;
    create.mutable_config()->set_image(FLAGS_image);
    create.mutable_config()->add_cmd("true");
    create.mutable_host_config()->set_network_mode(FLAGS_network);
    berth::v1::CreateContainerReply created;
    berth::v1::ContainerRef ref;
    berth::v1::StartContainerReply started;
    berth::v1::WaitContainerRequest wait;
    berth::v1::WaitContainerReply waited;
    Clock::time_point t0 = Clock::now();
    grpc::ClientContext create_context;
    if (!Check(stub->Create(&create_context, create, &created), "create")) {
      return 1;
    }
    Clock::time_point t1 = Clock::now();
    ref.set_id(created.id());
    grpc::ClientContext start_context;
    bool ok = Check(stub->Start(&start_context, ref, &started), "start");
    Clock::time_point t2 = Clock::now();
    wait.set_id(created.id());
    grpc::ClientContext wait_context;
    if (ok) {
      // The first answer only says the wait is registered.
      auto reader = stub->Wait(&wait_context, wait);
      while (reader->Read(&waited) && waited.waiting()) {
      }
      ok = Check(reader->Finish(), "wait");
    }
    Clock::time_point t3 = Clock::now();
    berth::v1::RemoveContainerRequest remove;
    remove.set_id(created.id());
    remove.set_force(true);
    berth::v1::Empty empty;
    grpc::ClientContext remove_context;
    Check(stub->Remove(&remove_context, remove, &empty), "remove");
    if (!ok || waited.status_code() != 0) return 1;
    std::printf("%.3f %.3f %.3f %.3f\n", Ms(t0, t1), Ms(t1, t2), Ms(t2, t3),
                Ms(t0, t3));
  }
  return 0;
}
