#ifndef BERTH_LIB_BASE_SUBPROCESS_H_
#define BERTH_LIB_BASE_SUBPROCESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth {

struct CommandResult {
  // The exit status, or 128 + the signal that ended it.
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] looked up in $PATH) with stdin from /dev/null and
// collects its output. NotFound when the program cannot be run at all;
// otherwise OK whatever it exits with. Safe from a multi-threaded caller
// (posix_spawn).
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv);

}  // namespace berth

#endif  // BERTH_LIB_BASE_SUBPROCESS_H_
