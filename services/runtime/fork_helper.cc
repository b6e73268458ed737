#include "services/runtime/fork_helper.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

namespace berth::runtime::testing {

int RunInChild(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

unsigned long long StatusHex(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return strtoull(line.substr(field.size() + 1).c_str(), nullptr, 16);
    }
  }
  return ~0ULL;
}

}  // namespace berth::runtime::testing
