#include "services/daemon/containers/container_top.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"
#include "lib/base/subprocess.h"
#include "services/runtime/linux_cgroup.h"

namespace berth {

absl::StatusOr<v1::TopReply> ParsePsOutput(const std::string& output,
                                           const std::vector<pid_t>& pids) {
  std::vector<absl::string_view> lines = absl::StrSplit(output, '\n');
  std::vector<std::string> titles =
      absl::StrSplit(lines[0], ' ', absl::SkipWhitespace());
  auto pid_column = std::find(titles.begin(), titles.end(), "PID");
  if (pid_column == titles.end()) {
    return absl::InternalError("Couldn't find PID field in ps output");
  }
  size_t pid_index = pid_column - titles.begin();
  v1::TopReply reply;
  reply.mutable_titles()->Assign(titles.begin(), titles.end());
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields =
        absl::StrSplit(lines[i], ' ', absl::SkipWhitespace());
    if (fields.size() <= pid_index) continue;
    pid_t pid = 0;
    if (!absl::SimpleAtoi(fields[pid_index], &pid) ||
        std::find(pids.begin(), pids.end(), pid) == pids.end()) {
      continue;
    }
    v1::TopRow* row = reply.add_processes();
    size_t last = titles.size() - 1;
    for (size_t f = 0; f < std::min(last, fields.size()); ++f) {
      row->add_fields(fields[f]);
    }
    if (fields.size() > last) {
      row->add_fields(absl::StrJoin(fields.begin() + last, fields.end(), " "));
    }
  }
  return reply;
}

absl::StatusOr<v1::TopReply> ListContainerProcesses(
    const std::vector<pid_t>& pids, const std::string& ps_args) {
  std::vector<std::string> argv = {"ps"};
  for (absl::string_view arg : absl::StrSplit(ps_args.empty() ? "-ef" : ps_args,
                                              ' ', absl::SkipWhitespace())) {
    argv.emplace_back(arg);
  }
  BERTH_ASSIGN_OR_RETURN(CommandResult ps, RunCommand(argv));
  if (ps.exit_code != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error running ps: exit status ", ps.exit_code, ": ",
                     absl::StripAsciiWhitespace(ps.err)));
  }
  return ParsePsOutput(ps.out, pids);
}

absl::StatusOr<v1::TopReply> TopContainer(ContainerCore& core,
                                          const v1::TopRequest& request) {
  BERTH_ASSIGN_OR_RETURN(RunningContainer container,
                         core.GetRunning(request.id(), /*allow_paused=*/true));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Cgroup> cgroup,
                         runtime::LinuxCgroup::Open(container.cgroups_path));
  return ListContainerProcesses(cgroup->Pids(), request.ps_args());
}

}  // namespace berth
