// berth: the engine's command-line client.
//
//   berth [--exec-root DIR | --engine TARGET] COMMAND
//     commands                         the jobs the engine can run
//     job NAME [ARG...] [-e K=V]... [-i]
//                                      run a job; -i streams stdin to it
//     version                          the engine's version
//     events [--since T] [--until T] [--filter K=V]...
#include <unistd.h>

#include <iostream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "lib/docker/timestamp.h"
#include "lib/job/job_client.h"
#include "lib/rpc/channels.h"
#include "proto/engine.grpc.pb.h"
#include "proto/job.grpc.pb.h"

namespace {

constexpr char kUsage[] =
    "Usage: berth [--exec-root DIR | --engine TARGET] COMMAND\n"
    "\n"
    "Commands:\n"
    "  commands                            list the jobs the engine can run\n"
    "  job NAME [ARG...] [-e KEY=VALUE]... [-i]\n"
    "                                      run a job (-i: stream stdin)\n"
    "  version                             show the engine's version\n"
    "  events [--since T] [--until T] [--filter KEY=VALUE]...\n"
    "                                      stream the engine's events\n";

[[noreturn]] void Usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "berth: " << problem << "\n\n";
  std::cerr << kUsage;
  exit(2);
}

int Fail(const std::string& what, const grpc::Status& status) {
  std::cerr << "berth: " << what << ": " << status.error_message() << "\n";
  return status.error_code() == grpc::StatusCode::NOT_FOUND ? 127 : 1;
}

class FdOutput : public berth::OutputStream {
 public:
  explicit FdOutput(int fd) : fd_(fd) {}
  void Write(absl::string_view data) override {
    while (!data.empty()) {
      ssize_t n = write(fd_, data.data(), data.size());
      if (n <= 0) return;
      data.remove_prefix(n);
    }
  }

 private:
  int fd_;
};

class FdInput : public berth::InputStream {
 public:
  bool Read(std::string* chunk) override {
    chunk->resize(1 << 16);
    ssize_t n = read(0, chunk->data(), chunk->size());
    if (n <= 0) return false;
    chunk->resize(n);
    return true;
  }
};

int Commands(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = berth::v1::Registry::NewStub(channel);
  grpc::ClientContext context;
  berth::v1::CommandsReply reply;
  grpc::Status status =
      stub->Commands(&context, berth::v1::CommandsRequest(), &reply);
  if (!status.ok()) return Fail("commands", status);
  printf("%-24s %-10s %s\n", "NAME", "SERVICE", "DEPENDS ON");
  for (const berth::v1::Command& command : reply.commands()) {
    printf("%-24s %-10s %s\n", command.name().c_str(),
           command.service().c_str(),
           absl::StrJoin(command.depends_on(), ",").c_str());
  }
  return 0;
}

int RunJob(const std::shared_ptr<grpc::Channel>& channel,
           const std::vector<std::string>& args) {
  berth::v1::JobSpec spec;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-e" || args[i] == "--env") {
      if (i + 1 >= args.size()) Usage("-e needs KEY=VALUE");
      spec.add_env(args[++i]);
    } else if (absl::StartsWith(args[i], "--env=")) {
      spec.add_env(args[i].substr(6));
    } else if (args[i] == "-i" || args[i] == "--interactive") {
      spec.set_attach_stdin(true);
    } else if (spec.name().empty()) {
      spec.set_name(args[i]);
    } else {
      spec.add_args(args[i]);
    }
  }
  if (spec.name().empty()) Usage("job needs a NAME");
  FdInput in;
  FdOutput out(1), err(2);
  absl::Status status = berth::RunRemoteJob(channel, spec, &in, &out, &err);
  if (status.ok()) return 0;
  std::cerr << "berth: job " << spec.name() << ": " << status.message() << "\n";
  return status.code() == absl::StatusCode::kNotFound ? 127 : 1;
}

int Version(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = berth::v1::Engine::NewStub(channel);
  grpc::ClientContext context;
  berth::v1::VersionInfo v;
  grpc::Status status =
      stub->Version(&context, berth::v1::VersionRequest(), &v);
  if (!status.ok()) return Fail("version", status);
  printf(
      "Version:        %s\nAPI version:    %s (minimum version %s)\n"
      "Git commit:     %s\nBuilt:          %s\nCompiler:       %s\n"
      "OS/Arch:        %s/%s\nKernel version: %s\n",
      v.version().c_str(), v.api_version().c_str(), v.min_api_version().c_str(),
      v.git_commit().c_str(), v.build_time().c_str(), v.compiler().c_str(),
      v.os().c_str(), v.arch().c_str(), v.kernel_version().c_str());
  return 0;
}

int Events(const std::shared_ptr<grpc::Channel>& channel,
           const std::vector<std::string>& args) {
  berth::v1::EventsRequest request;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    size_t eq = flag.find('=');
    if (eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      Usage(flag + " needs a value");
    }
    if (flag == "--since" || flag == "--until") {
      absl::StatusOr<int64_t> nanos = berth::ParseDockerTimestamp(value);
      // Like docker's CLI, a duration ("10m") means that long ago.
      absl::Duration ago;
      if (!nanos.ok() && absl::ParseDuration(value, &ago)) {
        nanos = absl::ToUnixNanos(absl::Now() - ago);
      }
      if (!nanos.ok()) Usage(std::string(nanos.status().message()));
      if (flag == "--since") request.set_since_nano(*nanos);
      if (flag == "--until") request.set_until_nano(*nanos);
    } else if (flag == "--filter" || flag == "-f") {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(value, absl::MaxSplits('=', 1));
      (*request.mutable_filters())[kv.first].add_values(kv.second);
    } else {
      Usage("unknown events flag " + flag);
    }
  }
  auto stub = berth::v1::Engine::NewStub(channel);
  grpc::ClientContext context;
  auto reader = stub->Events(&context, request);
  berth::v1::Event event;
  while (reader->Read(&event)) {
    std::map<std::string, std::string> sorted(event.attributes().begin(),
                                              event.attributes().end());
    std::string attributes =
        absl::StrJoin(sorted, ", ", absl::PairFormatter("="));
    printf("%s %s %s %s (%s)\n",
           absl::FormatTime(absl::RFC3339_full,
                            absl::FromUnixNanos(event.time_nano()),
                            absl::LocalTimeZone())
               .c_str(),
           event.type().c_str(), event.action().c_str(), event.id().c_str(),
           attributes.c_str());
    fflush(stdout);
  }
  grpc::Status status = reader->Finish();
  return status.ok() ? 0 : Fail("events", status);
}

}  // namespace

int main(int argc, char** argv) {
  std::string exec_root = "/run/berth";
  std::string engine;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string flag = argv[i];
    std::string value;
    size_t eq = flag.find('=');
    if (eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (flag == "-h" || flag == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    if (flag == "--exec-root") {
      exec_root = value;
    } else if (flag == "--engine") {
      engine = value;
    } else {
      Usage("unknown flag " + flag);
    }
  }
  if (i >= argc) Usage("");
  std::string command = argv[i];
  std::vector<std::string> args(argv + i + 1, argv + argc);
  if (engine.empty()) engine = berth::UnixTarget(exec_root + "/engine.sock");
  std::shared_ptr<grpc::Channel> channel = berth::MakeChannel(engine);
  if (command == "commands") return Commands(channel);
  if (command == "job") return RunJob(channel, args);
  if (command == "version") return Version(channel);
  if (command == "events") return Events(channel, args);
  Usage("unknown command " + command);
}
