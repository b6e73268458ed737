#include "services/netd/testing/scratch_netns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace berth::netd::testing {

ScratchNetns::ScratchNetns() {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return;
  pid_t pid = fork();
  if (pid < 0) {
    close(ready[0]);
    close(ready[1]);
    return;
  }
  if (pid == 0) {
    // Async-signal-safe calls only: the parent has threads.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    bool ok_so_far = unshare(CLONE_NEWNET) == 0;
    // Loopback up, as berth-daemon leaves a container's namespace.
    int sock = ok_so_far ? socket(AF_INET, SOCK_DGRAM, 0) : -1;
    ifreq request;
    memset(&request, 0, sizeof(request));
    memcpy(request.ifr_name, "lo", 3);
    ok_so_far = sock >= 0 && ioctl(sock, SIOCGIFFLAGS, &request) == 0;
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    ok_so_far = ok_so_far && ioctl(sock, SIOCSIFFLAGS, &request) == 0;
    char ok = ok_so_far ? '1' : '0';
    (void)!write(ready[1], &ok, 1);
    if (ok != '1') _exit(1);
    while (true) pause();
  }
  close(ready[1]);
  char ok = 0;
  bool ready_ok = read(ready[0], &ok, 1) == 1 && ok == '1';
  close(ready[0]);
  if (!ready_ok) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return;
  }
  pid_ = pid;
  path_ = absl::StrCat("/proc/", pid, "/ns/net");
}

ScratchNetns::~ScratchNetns() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

}  // namespace berth::netd::testing
