// berth-shim BUNDLE: one per container; see shim_protocol.h. Deliberately
// free of gRPC, protobuf and logging libraries: fifty of them run at once
// and each must stay under a megabyte.
#include <stdio.h>
#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "lib/base/files.h"
#include "services/shim/shim.h"
#include "services/shim/shim_config.h"
#include "services/shim/shim_protocol.h"

namespace {

int Fail(const absl::Status& status) {
  std::string line =
      absl::StrCat("err ", absl::StatusCodeToString(status.code()), " ",
                   absl::StrReplaceAll(status.message(), {{"\n", " "}}), "\n");
  if (write(berth::shim::kReadyFd, line.data(), line.size()) < 0) {
    fprintf(stderr, "berth-shim: %s", line.c_str());
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool detach = argc == 3 && std::string(argv[1]) == "--detach";
  if (argc != 2 && !detach) {
    fprintf(stderr,
            "usage: berth-shim [--detach] BUNDLE (started by berth-daemon)\n");
    return 2;
  }
  if (detach) {
    // berth-daemon spawned this process as a session leader; the shim
    // proper is its child, so that it is nobody's child to reap (it is
    // reparented) and never a session leader that could take a terminal.
    pid_t child = fork();
    if (child < 0) return Fail(absl::InternalError("fork failed"));
    if (child > 0) _exit(0);
  }
  std::string bundle = argv[argc - 1];
  // runc runs in the bundle and is given paths in it: they must not
  // depend on the shim's working directory.
  if (bundle.empty() || bundle[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) {
      return Fail(absl::FailedPreconditionError("getcwd failed"));
    }
    bundle = absl::StrCat(cwd, "/", bundle);
  }
  absl::StatusOr<std::string> json =
      berth::ReadFile(absl::StrCat(bundle, "/", berth::shim::kConfigFile));
  if (!json.ok()) return Fail(json.status());
  absl::StatusOr<berth::shim::ShimConfig> config =
      berth::shim::ParseShimConfig(*json);
  if (!config.ok()) return Fail(config.status());
  berth::shim::Shim shim(bundle, *std::move(config));
  absl::Status started = shim.Start();
  if (!started.ok()) {
    int code = Fail(started);
    unlink(absl::StrCat(bundle, "/", berth::shim::kSocketFile).c_str());
    return code;
  }
  shim.Serve();
  return 0;
}
